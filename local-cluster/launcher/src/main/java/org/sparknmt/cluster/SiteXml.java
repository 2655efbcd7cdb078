package org.sparknmt.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** Writes Hadoop {@code *-site.xml} files. */
final class SiteXml {
  private SiteXml() {}

  static void write(Path file, Map<String, String> properties) throws IOException {
    StringBuilder xml = new StringBuilder();
    xml.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.append("<!-- written by org.sparknmt.cluster.LocalCluster -->\n<configuration>\n");
    properties.forEach(
        (k, v) ->
            xml.append("  <property><name>")
                .append(escape(k))
                .append("</name><value>")
                .append(escape(v))
                .append("</value></property>\n"));
    xml.append("</configuration>\n");
    Files.createDirectories(file.getParent());
    Files.writeString(file, xml, StandardCharsets.UTF_8);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
