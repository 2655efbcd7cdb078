package org.sparknmt.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class BpeModelTest {
  private static BpeModel model;

  @BeforeAll
  static void learn() {
    List<String> train = new ArrayList<>(Corpus.sentences(new Random(11), 2000));
    Random rnd = new Random(12);
    for (int i = 0; i < 200; i++) {
      train.add(Corpus.normalize(Corpus.randomUnicode(rnd, 12)));
    }
    model = BpeLearner.learn(BpeLearner.countWords(train), 1200);
  }

  @Test
  void roundTripsRandomNormalisedUnicode() {
    Random rnd = new Random(42);
    for (int i = 0; i < 5000; i++) {
      String s = Corpus.normalize(Corpus.randomUnicode(rnd, 40));
      int[] ids = model.encode(s);
      assertEquals(s, model.decode(ids), () -> "ids " + java.util.Arrays.toString(ids));
      for (int id : ids) {
        assertTrue(id >= Vocabulary.FIRST_BYTE && id < model.vocabulary().size());
      }
    }
  }

  @Test
  void roundTripsUnnormalisedSpacingToo() {
    Random rnd = new Random(43);
    for (int i = 0; i < 2000; i++) {
      String s = Corpus.randomUnicode(rnd, 30);
      assertEquals(s, model.decode(model.encode(s)));
    }
    for (String s : List.of("", " ", "  a  ", "▁", "▁▁ ▁", "a\tb\nc\r\u0085\u2028d", "<s></s>")) {
      assertEquals(s, model.decode(model.encode(s)));
    }
  }

  @Test
  void encodesTrainedTextWithLearnedPieces() {
    int[] ids = model.encode("the lord said unto israel.");
    assertEquals("the lord said unto israel.", model.decode(ids));
    assertTrue(
        ids.length <= 8,
        "frequent words should be whole pieces: " + model.pieces("the lord said unto israel."));
    assertEquals(List.of("▁the", "▁lord"), model.pieces("the lord"));
    assertArrayEquals(new int[0], model.encode(""));
  }

  @Test
  void heapAndScanMergeOrdersAgree() {
    Random rnd = new Random(5);
    for (int i = 0; i < 3000; i++) {
      String word = Corpus.sentences(rnd, 1).get(0).replace(" ", "");
      word = word + (i % 3 == 0 ? word : "") + Corpus.randomUnicode(rnd, 6).replace(" ", "");
      assertArrayEquals(model.encodeWord(word, false), model.encodeWord(word, true), word);
    }
    // a long unsegmented word takes the heap path inside encode()
    String longWord = "thelordsaiduntoisraelandgodsaid".repeat(20);
    assertEquals(longWord, model.decode(model.encode(longWord)));
    assertArrayEquals(model.encodeWord(longWord, false), model.encode(longWord));
  }

  @Test
  void decodeSkipsPaddingAndSentenceMarks() {
    int[] ids = model.encode("the king");
    int[] framed = new int[ids.length + 4];
    framed[0] = Vocabulary.BOS;
    System.arraycopy(ids, 0, framed, 1, ids.length);
    framed[ids.length + 1] = Vocabulary.EOS;
    assertEquals("the king", model.decode(framed));
    assertEquals("⁇", model.decode(new int[] {Vocabulary.UNK}));
    assertThrows(IllegalArgumentException.class, () -> model.decode(new int[] {99999}));
  }

  @Test
  void filesRoundTrip() {
    Map<String, String> files = model.toFiles();
    assertEquals(List.of("merges.txt", "vocab.txt"), new ArrayList<>(files.keySet()));
    assertTrue(files.get("merges.txt").startsWith("#version: 0.2\n"));
    assertTrue(files.get("vocab.txt").startsWith("<pad>\n<s>\n</s>\n<unk>\n<0x00>\n"));
    BpeModel back = BpeModel.fromFiles(new HashMap<>(files));
    assertEquals(files, back.toFiles());
    assertEquals(model.sha256(), back.sha256());
    assertEquals(64, model.sha256().length());
    Random rnd = new Random(9);
    for (int i = 0; i < 200; i++) {
      String s = Corpus.normalize(Corpus.randomUnicode(rnd, 30));
      assertArrayEquals(model.encode(s), back.encode(s));
    }
  }

  @Test
  void malformedFilesGiveClearErrors() {
    Map<String, String> files = new HashMap<>(model.toFiles());
    files.remove("merges.txt");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BpeModel.fromFiles(files));
    assertTrue(e.getMessage().contains("merges.txt"), e.getMessage());
    files.put("merges.txt", "#version: 0.2\n▁ t\nnot-a-token x\n");
    e = assertThrows(IllegalArgumentException.class, () -> BpeModel.fromFiles(files));
    assertTrue(e.getMessage().startsWith("merges.txt line 3"), e.getMessage());
    Map<String, String> badVocab = new HashMap<>(model.toFiles());
    badVocab.put("vocab.txt", badVocab.get("vocab.txt").replaceFirst("<s>", "<bos>"));
    e = assertThrows(IllegalArgumentException.class, () -> BpeModel.fromFiles(badVocab));
    assertTrue(
        e.getMessage().startsWith("vocab.txt: vocabulary id 1 must be '<s>'"), e.getMessage());
  }

  @Test
  void javaSerializationShipsTheFiles() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(model);
      out.writeObject(model.vocabulary());
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      BpeModel back = (BpeModel) in.readObject();
      assertEquals(model.toFiles(), back.toFiles());
      assertArrayEquals(model.encode("the lord 🙂"), back.encode("the lord 🙂"));
      assertEquals(model.vocabulary(), in.readObject());
    }
  }

  @Test
  void encodeIsThreadSafeAndResultsAreCopies() throws Exception {
    List<String> lines = Corpus.sentences(new Random(21), 3000);
    List<int[]> expected = new ArrayList<>();
    for (String s : lines) {
      expected.add(model.encode(s));
    }
    int[] first = model.encode(lines.get(0));
    first[0] = -7; // must not corrupt the cache
    assertArrayEquals(expected.get(0), model.encode(lines.get(0)));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Boolean>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        futures.add(
            pool.submit(
                () -> {
                  BpeModel fresh = BpeModel.fromFiles(model.toFiles());
                  for (int i = 0; i < lines.size(); i++) {
                    if (!java.util.Arrays.equals(expected.get(i), fresh.encode(lines.get(i)))
                        || !java.util.Arrays.equals(expected.get(i), model.encode(lines.get(i)))) {
                      return false;
                    }
                  }
                  return true;
                }));
      }
      for (Future<Boolean> f : futures) {
        assertTrue(f.get());
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void equalModelsHashEqualDifferentOnesDiffer() {
    Map<String, String> files = new HashMap<>(model.toFiles());
    String merges = files.get("merges.txt");
    files.put("merges.txt", merges.substring(0, merges.lastIndexOf('\n', merges.length() - 2) + 1));
    assertNotEquals(model.sha256(), BpeModel.fromFiles(files).sha256());
  }
}
