package org.sparknmt.jobs.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.UserError;

class HadoopFilesTest {
  @TempDir java.nio.file.Path dir;

  /**
   * The local file system writes a {@code .name.crc} beside each file; replacing a file must leave
   * neither the temporary file's checksum behind nor the target's old one (which would fail the
   * next read of the new content).
   */
  @Test
  void replacingALocalFileLeavesNoChecksumBehindAndReadsBack() throws IOException {
    Configuration conf = new Configuration();
    FileSystem fs = FileSystem.getLocal(conf);
    Path target = new Path(dir.toUri().toString(), "champion");
    HadoopFiles.writeString(fs, target, "v0001\n"); // with its checksum, as fs.create writes it
    assertEquals(List.of(".champion.crc", "champion"), names());

    HadoopFiles.replaceWithString(fs, conf, target, "v0002 and longer\n");
    HadoopFiles.replaceWithString(fs, conf, target, "v0003\n");

    assertEquals(List.of("champion"), names());
    assertEquals("v0003\n", HadoopFiles.readString(fs, target));
  }

  /**
   * A job's output directory created by someone else after the job's up-front check: the finished
   * output is not moved into it (as {@code FileSystem.rename} would), the job is refused with the
   * same one-line message, and the other directory is left as it was.
   */
  @Test
  void anOutputCreatedMeanwhileIsRefusedNotWrittenInto() throws IOException {
    Configuration conf = new Configuration();
    FileSystem fs = FileSystem.getLocal(conf);
    Path out = new Path(dir.toUri().toString(), "out");
    HadoopFiles.requireNewOutput(fs, out);
    Path temp = HadoopFiles.tempSibling(out);
    HadoopFiles.mkdirs(fs, temp);
    HadoopFiles.writeString(fs, new Path(temp, "hypotheses.txt"), "mine\n");
    HadoopFiles.mkdirs(fs, out); // someone else's, meanwhile
    HadoopFiles.writeString(fs, new Path(out, "theirs.txt"), "theirs\n");

    UserError e = assertThrows(UserError.class, () -> HadoopFiles.publishOutput(conf, temp, out));
    assertTrue(e.getMessage().contains("already exists"), e.getMessage());
    assertEquals(List.of(".theirs.txt.crc", "theirs.txt"), names(out));
    assertThrows(UserError.class, () -> HadoopFiles.requireNewOutput(fs, out));
  }

  private List<String> names() throws IOException {
    return names(new Path(dir.toUri().toString()));
  }

  private static List<String> names(Path local) throws IOException {
    try (Stream<java.nio.file.Path> files = Files.list(java.nio.file.Path.of(local.toUri()))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
