"""Loads in PEFT an adapter that align4j saved and compares PEFT's logits with align4j's (run on the GPU machine).

align4j writes policy/src/test/resources/hf/peft/align4j_saved/ (Align4jSavedAdapterTest): adapter_config.json and
adapter_model.safetensors as align4j's PeftAdapter.save writes them, for the tiny Llama fixture, and
align4j_logits.json with the base fixture's input_ids and align4j's logits of the adapted model. This script puts
the adapter on the base fixture with PEFT (PeftModel.from_pretrained), runs the same input_ids in float32 on the
CPU, and prints the max |logit difference|, for the adapted model and after merge_and_unload(). Exits 1 when
either is above 1e-4.

Usage: python3 bench/gpu/peft_roundtrip.py [ADAPTER_DIR] [BASE_MODEL_DIR]
  defaults: policy/src/test/resources/hf/peft/align4j_saved and the fixture named in align4j_logits.json ("base")
"""
import json
import os
import sys

import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

HF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "policy", "src", "test", "resources", "hf")
TOLERANCE = 1e-4


def main():
    adapter = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HF, "peft", "align4j_saved")
    with open(os.path.join(adapter, "align4j_logits.json")) as f:
        exp = json.load(f)
    base = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HF, exp["base"])
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).eval()
    peft_model = PeftModel.from_pretrained(model, adapter).eval()
    n_lora = sum(1 for n, _ in peft_model.named_parameters() if "lora_" in n)
    ids = torch.tensor(exp["input_ids"])
    want = torch.tensor(exp["logits"], dtype=torch.float32)
    with torch.no_grad():
        adapted = peft_model(input_ids=ids).logits.float()
        merged_model = peft_model.merge_and_unload().eval()
        merged = merged_model(input_ids=ids).logits.float()
        base_model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).eval()
        plain = base_model(input_ids=ids).logits.float()
    d_adapted = (adapted - want).abs().max().item()
    d_merged = (merged - want).abs().max().item()
    d_base = (plain - want).abs().max().item()
    print(f"{adapter}: {n_lora} LoRA tensors loaded by PEFT {__import__('peft').__version__}")
    print(f"max |PEFT adapted logits - align4j| = {d_adapted:.3g}")
    print(f"max |PEFT merged logits - align4j|  = {d_merged:.3g}")
    print(f"max |base logits - align4j|         = {d_base:.3g} (the adapter must matter: far above {TOLERANCE})")
    ok = d_adapted <= TOLERANCE and d_merged <= TOLERANCE and d_base > 100 * TOLERANCE
    print("OK" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
