#!/usr/bin/env python3
"""Checks that Hugging Face tokenizers (Python) loads a tokenizer align4j wrote and gives the same ids.

Usage (from the repository root, with `pip install tokenizers`):

    python bench/check_hf_tokenizer.py runs/tok corpus.txt

TEXT_FILE is either a JSON array of strings or a text file (each non-empty line is one text). The script
writes the texts to a JSON file, runs `./align4j tokenizer encode` on them (without and with
--add-special-tokens, writing our ids to OUT_DIR/ours_ids.json and ours_ids_special.json), loads
TOKENIZER_DIR/tokenizer.json with `tokenizers.Tokenizer.from_file`, encodes the same texts and compares.
It prints one line per check and exits 0 only when HF loads the file and every id list is equal.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def read_texts(path):
    with open(path, encoding="utf-8") as f:
        content = f.read()
    if path.endswith(".json"):
        texts = json.loads(content)
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            sys.exit(f"{path}: expected a JSON array of strings")
        return texts
    return [line for line in content.split("\n") if line.strip()]


def our_ids(align4j, tokenizer_dir, texts_json, out_json, special):
    cmd = [align4j, "tokenizer", "encode", "--tokenizer", tokenizer_dir, "--input", texts_json, "--output", out_json]
    if special:
        cmd.append("--add-special-tokens")
    subprocess.run(cmd, check=True)
    with open(out_json, encoding="utf-8") as f:
        return json.load(f)


def compare(label, texts, ours, theirs):
    equal = sum(1 for a, b in zip(ours, theirs) if a == b)
    print(f"{label}: ids equal on {equal}/{len(texts)} texts")
    shown = 0
    for text, a, b in zip(texts, ours, theirs):
        if a != b and shown < 3:
            print(f"  differs on {json.dumps(text, ensure_ascii=False)[:120]}\n    align4j {a[:20]}\n    hf      {b[:20]}")
            shown += 1
    return equal == len(texts) and len(ours) == len(theirs)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tokenizer_dir", help="directory with tokenizer.json (as written by align4j tokenizer train)")
    parser.add_argument("text_file", help="JSON array of strings, or a text file with one text per line")
    parser.add_argument("--align4j", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "align4j"),
                        help="the align4j launcher (default: the repository's ./align4j)")
    parser.add_argument("--out-dir", default=None, help="where to write the texts and our ids (default: a temp dir)")
    args = parser.parse_args()

    texts = read_texts(args.text_file)
    out_dir = args.out_dir or tempfile.mkdtemp(prefix="align4j-hf-check-")
    os.makedirs(out_dir, exist_ok=True)
    texts_json = os.path.join(out_dir, "texts.json")
    with open(texts_json, "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
    ours = our_ids(args.align4j, args.tokenizer_dir, texts_json, os.path.join(out_dir, "ours_ids.json"), False)
    ours_special = our_ids(args.align4j, args.tokenizer_dir, texts_json,
                           os.path.join(out_dir, "ours_ids_special.json"), True)

    import tokenizers
    path = os.path.join(args.tokenizer_dir, "tokenizer.json")
    try:
        hf = tokenizers.Tokenizer.from_file(path)
    except Exception as e:  # the point of the check: report any failure to load
        print(f"HF tokenizers {tokenizers.__version__} loads {path}: NO ({e})")
        return 1
    print(f"HF tokenizers {tokenizers.__version__} loads {path}: yes (vocab size {hf.get_vocab_size()})")

    plain = [e.ids for e in hf.encode_batch(texts, add_special_tokens=False)]
    special = [e.ids for e in hf.encode_batch(texts, add_special_tokens=True)]
    ok = compare("without special tokens", texts, ours, plain)
    ok = compare("with special tokens", texts, ours_special, special) and ok
    decoded_equal = sum(1 for t, ids in zip(texts, ours) if hf.decode(ids, skip_special_tokens=False) == t)
    print(f"HF decodes our ids back to the text on {decoded_equal}/{len(texts)} texts")
    print(f"our ids: {out_dir}/ours_ids.json")
    print("RESULT: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
