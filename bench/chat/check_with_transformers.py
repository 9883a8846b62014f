"""Checks the extra chat-template cases (policy/src/test/resources/chat/chat_extra_jinja2.json, rendered by
Jinja2 set up as transformers sets it up) against transformers' own apply_chat_template, for the Qwen3 and
DeepSeek-V3 templates. Needs transformers (5.x) and the tokenizer files in test resources; no network.

    python3 bench/chat/check_with_transformers.py
"""
import gzip
import json
import os
import shutil
import tempfile

from transformers import AutoTokenizer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RES = os.path.join(ROOT, "policy", "src", "test", "resources")


def tokenizer(name, tmp):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    src = os.path.join(RES, "tokenizers", name)
    with gzip.open(os.path.join(src, "tokenizer.json.gz"), "rb") as f, open(os.path.join(d, "tokenizer.json"), "wb") as g:
        shutil.copyfileobj(f, g)
    shutil.copy(os.path.join(src, "tokenizer_config.json"), d)
    return AutoTokenizer.from_pretrained(d)


def main():
    cases = json.load(open(os.path.join(RES, "chat", "chat_extra_jinja2.json")))
    bad = 0
    checked = 0
    with tempfile.TemporaryDirectory() as tmp:
        toks = {}
        for c in cases:
            name = c["template"]
            if name == "features" or "expected" not in c:
                continue
            tok = toks.get(name) or toks.setdefault(name, tokenizer(name, tmp))
            got = tok.apply_chat_template(c["messages"], tools=c.get("tools"), add_generation_prompt=c["add_generation_prompt"],
                                          tokenize=False, **c.get("kwargs", {}))
            checked += 1
            if got != c["expected"]:
                bad += 1
                print("DIFFERS:", name, json.dumps(c["messages"])[:200])
                print("  transformers:", json.dumps(got))
                print("  fixture:     ", json.dumps(c["expected"]))
    print(f"{checked - bad}/{checked} cases equal to transformers' apply_chat_template")
    raise SystemExit(1 if bad else 0)


if __name__ == "__main__":
    main()
