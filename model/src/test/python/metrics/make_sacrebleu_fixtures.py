#!/usr/bin/env python3
"""Generate the golden BLEU/chrF values that SacreBleuFixturesTest checks the Java metrics against.

Values come from bleu_ref.py (next to this file), a stdlib-only reimplementation of sacreBLEU
2.6.0's default corpus BLEU and chrF that was validated against the sacreBLEU source
(see its docstring). Standard library only; deterministic (fixed seeds), so re-running it must
reproduce the committed JSON byte for byte:

  python3 model/src/test/python/metrics/make_sacrebleu_fixtures.py            # rewrite
  python3 model/src/test/python/metrics/make_sacrebleu_fixtures.py --check    # compare only

Output: model/src/test/resources/org/sparknmt/model/metrics/sacrebleu_fixtures.json
"""
import argparse
import gzip
import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bleu_ref  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", ".."))
OUT = os.path.join(REPO, "model", "src", "test", "resources", "org", "sparknmt", "model",
                   "metrics", "sacrebleu_fixtures.json")
BIBLE = os.path.join(REPO, "data", "bible-en-es")


def read_gz(name, n):
    with gzip.open(os.path.join(BIBLE, name), "rt", encoding="utf-8") as f:
        return [line.rstrip("\n") for _, line in zip(range(n), f)]


def perturb(lines, seed):
    """A plausible 'system output': drop, swap, replace and re-case words, drop punctuation,
    shorten or empty a few lines. Deterministic for a given seed."""
    rnd = random.Random(seed)
    vocab = sorted({w for line in lines for w in line.split()})
    out = []
    for line in lines:
        words = line.split()
        r = rnd.random()
        if r < 0.02:
            out.append("")
            continue
        if r < 0.05:
            out.append(" ".join(words[: max(1, len(words) // 3)]))
            continue
        new = []
        for w in words:
            x = rnd.random()
            if x < 0.07:
                continue                                  # drop
            if x < 0.12:
                new.append(rnd.choice(vocab))             # substitute
            elif x < 0.15:
                new.append(w.lower() if w[:1].isupper() else w.capitalize())
            elif x < 0.19:
                new.append(w.rstrip(",.;:?!"))            # lose punctuation
            else:
                new.append(w)
        for i in range(len(new) - 1):
            if rnd.random() < 0.05:
                new[i], new[i + 1] = new[i + 1], new[i]   # local reordering
        out.append(" ".join(new))
    return out


def systems():
    """(name, hyps, [ref streams], options)"""
    s = []
    refs = ["The cat sat on the mat.",
            "It is a guide to action which ensures that the military always obeys the commands of the party.",
            "He said: \"I don't know, maybe tomorrow.\"",
            "The quick brown fox jumps over the lazy dog."]
    hyps = ["The cat is on the mat.",
            "It is a guide to action that ensures that the military will forever heed Party commands.",
            "He said: \"I do not know, perhaps tomorrow\"",
            "A quick brown fox jumped over a lazy dog!"]
    s.append(("english_basic", hyps, [refs], {}))
    s.append(("perfect_match", list(refs), [refs], {}))
    s.append(("single_sentence", [hyps[1]], [[refs[1]]], {}))
    s.append(("empty_hypotheses", ["", hyps[1], "", hyps[3]], [refs], {}))
    s.append(("all_hypotheses_empty", ["", "", "", ""], [refs], {}))
    s.append(("all_empty", ["", "", ""], [["", "", ""]], {}))
    s.append(("whitespace_only", ["   ", "\t", "a b c d e"], [["x y", " ", "a b c d e "]], {}))
    s.append(("very_short", ["Yes.", "No", "ok", "Hi!"], [["Yes.", "No.", "okay", "Hi"]], {}))
    s.append(("two_tokens", ["the cat", "a dog"], [["the cat sat", "a dog ran"]], {}))
    s.append(("unicode", [
        "Él dijo: «¿Dónde está la niña?» — Ñandú, pingüino, façade, naïve.",
        "東京は日本の首都です。今日は晴れ。",
        "I ❤️ Paris 🇫🇷 and 🍕🍕 pizza 😀!",
        "Ünïcödé ß straße ΣΊΣΥΦΟΣ σοφός Ελληνικά",
        "e\u0301te\u0301 (combining accents) vs été",
        "Привет, мир! Как дела?",
        "مرحبا بالعالم",
        "tab\tand\u00a0nbsp\u3000ideographic\u2009thin space",
    ], [[
        "Él dijo: «¿Dónde está el niño?» — Ñandú, pingüino, fachada, ingenuo.",
        "東京は日本の首都である。今日は晴れです。",
        "I ❤️ Paris 🇫🇷 and 🍕 pizza 😀",
        "Unicode ß Strasse ΣΊΣΥΦΟΣ σοφός ελληνικά",
        "été (combining accents) vs été",
        "Привет мир! Как твои дела?",
        "مرحبا يا عالم",
        "tab and nbsp ideographic thin space",
    ]], {}))
    s.append(("punctuation_heavy", [
        "Hello!!! What?! ... (yes) [no] {maybe} <tag> a/b a|b a~b a^b a_b `code` @user #tag $5 %20 &amp; &quot;q&quot; &lt;x&gt;",
        "Wait -- really?? -well- 'quoted' \"double\" ;colon: ,comma, .dot.",
        "<skipped> segment with skipped marker & ampersand",
        "e-mail, self-driving, state-of-the-art; U.S.A. e.g. i.e.",
        "multi-\nline input\nhere",
    ], [[
        "Hello! What? ... (yes) [no] {maybe} <tag> a/b a|b a~b a^b a_b `code` @user #tag $5 %20 & \"q\" <x>",
        "Wait - really? well 'quoted' \"double\" ; colon : , comma , . dot .",
        "segment with skipped marker &amp; ampersand",
        "e-mail , self driving , state-of-the-art ; U.S.A. e.g. i.e.",
        "multiline input here",
    ]], {}))
    s.append(("numbers", [
        "It cost $3.50 (1,000 items) in 2019-2020.",
        "Pi is 3.14159, e is 2.71828 and -5 < 0.",
        "It was 5. Then 6.7, ok",
        "Call 555-1234 or +1 (800) 555.1234, ext. 12",
        "Version 2.6.0 released on 2026-01-15; 10,000,000 downloads.",
    ], [[
        "It cost $3.50 (1,000 items) in 2019 - 2020.",
        "Pi is 3.14159 , e is 2.718 and -5 < 0 .",
        "It was 5. Then 6.7, okay",
        "Call 555-1234 or +1 (800) 555.1234, extension 12",
        "Version 2.6.0 was released on 2026-01-15; 10,000,000 downloads.",
    ]], {}))
    s.append(("multi_reference", hyps, [refs, [
        "The cat was sitting on the mat.",
        "It is the guiding principle which guarantees the military forces always being under the command of the Party.",
        "He said: \"I do not know, perhaps tomorrow.\"",
        "A quick brown fox jumps over the lazy dog."]], {}))
    s.append(("zero_4gram_matches", ["the cat sat on the mat", "a b c d e f"],
              [["the cat is on the mat", "a b x c d y"]], {}))
    mixed = (["THE Cat SAT on the Mat.", "Él DIJO: ¿Dónde estás, ÑANDÚ?"],
             [["the cat sat on the mat.", "él dijo: ¿dónde estás, ñandú?"]])
    s.append(("case_sensitive", *mixed, {}))
    s.append(("lowercase", *mixed, {"lowercase": True}))
    uni = (["ΣΊΣΥΦΟΣ ΟΔΟΣ İstanbul ẞTRASSE ÀÉÎÕÜ ПРИВЕТ ǅemal ﬁNE", "ὈΔΥΣΣΕΎΣ Σ"],
           [["σίσυφος οδος i̇stanbul ßtrasse àéîõü привет ǆemal ﬁne", "ὀδυσσεύς σ"]])
    s.append(("lowercase_unicode", *uni, {"lowercase": True}))
    es = read_gz("test.es.gz", 200)
    s.append(("bible_es_200_perturbed", perturb(es, 5), [es], {}))
    en = read_gz("test.en.gz", 200)
    s.append(("bible_en_200_perturbed", perturb(en, 11), [en], {}))
    return s


def r9(x):
    return float("%.12g" % x)


def fixture(name, hyps, refs, opts):
    lc = opts.get("lowercase", False)
    b = bleu_ref.corpus_bleu(hyps, refs, lowercase=lc)
    c = bleu_ref.corpus_chrf(hyps, refs, lowercase=lc)
    cpp = bleu_ref.corpus_chrf(hyps, refs, lowercase=lc, word_order=2)
    return {
        "name": name, "lowercase": lc, "hyps": hyps, "refs": refs,
        "bleu": {"score": r9(b["score"]), "counts": b["counts"], "totals": b["totals"],
                 "precisions": [r9(p) for p in b["precisions"]], "bp": r9(b["bp"]),
                 "sys_len": b["sys_len"], "ref_len": b["ref_len"], "signature": b["signature"],
                 "formatted": b["formatted"]},
        "chrf": {"score": r9(c["score"]), "stats": c["stats"], "signature": c["signature"],
                 "formatted": c["formatted"],
                 "name": c["name"]},
        "chrf_pp": {"score": r9(cpp["score"]), "stats": cpp["stats"],
                    "signature": cpp["signature"], "name": cpp["name"],
                    "formatted": cpp["formatted"]},
        "bleu_smoothing": {
            m: r9(bleu_ref.corpus_bleu(hyps, refs, lowercase=lc, smooth=m)["score"])
            for m in ("none", "floor", "add-k")},
        "bleu_smoothing_signatures": {
            m: bleu_ref.corpus_bleu(hyps, refs, lowercase=lc, smooth=m)["signature"]
            for m in ("none", "floor", "add-k")},
    }


def sentence_cases():
    pairs = [("the cat", ["the cat sat"]), ("the cat sat on the mat", ["the cat is on the mat"]),
             ("", ["a b"]), ("a b c d e", ["a b c d e"]), ("Él dijo 🍕", ["Él dijo 🍕 ."]),
             ("one", ["one two three four five"])]
    out = []
    for h, rs in pairs:
        b = bleu_ref.sentence_bleu(h, rs)
        c = bleu_ref.corpus_chrf([h], [[r] for r in rs])
        out.append({"hyp": h, "refs": rs, "bleu": r9(b["score"]), "bleu_signature": b["signature"],
                    "chrf": r9(c["score"])})
    return out


TOKENIZER_INPUTS = [
    "Hello, world! It cost $3.50 (1,000 items) in 2019-2020.",
    "&quot;Don't&quot; &amp; “curly” ¿Qué?",
    "It was 5. Then 6.7, ok",
    "a.b,c 1.a a.1 1,2 x-1 1-x 1-2 --",
    "<skipped>x-\ny\nz",
    "emoji😀.end 東京。 tab\there\u00a0nbsp   trailing   ",
    "",
]


def build():
    return {
        "generator": "model/src/test/python/metrics/make_sacrebleu_fixtures.py",
        "reference": "bleu_ref.py (sacreBLEU %s definitions)" % bleu_ref.SACREBLEU_VERSION,
        "fixtures": [fixture(*x) for x in systems()],
        "sentence": sentence_cases(),
        "tokenizer_13a": [{"input": t, "output": bleu_ref.tokenize_13a(t)} for t in TOKENIZER_INPUTS],
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="fail if the committed file differs")
    a = ap.parse_args()
    if not bleu_ref.self_test(verbose=False):
        sys.exit("bleu_ref.py self-test failed")
    text = json.dumps(build(), ensure_ascii=False, indent=1) + "\n"
    if a.check:
        with open(OUT, encoding="utf-8") as f:
            same = f.read() == text
        print("fixtures up to date" if same else "fixtures DIFFER from the generator output")
        sys.exit(0 if same else 1)
    with open(OUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s (%d fixtures)" % (os.path.relpath(OUT, REPO), len(build()["fixtures"])))


if __name__ == "__main__":
    main()
