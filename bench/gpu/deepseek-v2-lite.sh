#!/usr/bin/env bash
# Issue 17's measurement: a DeepSeek-V2-Lite-shaped model with random weights (bench/configs/deepseek-v2-lite.json,
# 15.7B parameters) in align4j and in transformers' own DeepseekV2 modelling code, on the same GPU, bf16.
# Runs bench/gpu/run.sh's bench=NAME / torch=NAME steps with these arguments, from the repository root on the GPU
# machine, once stage.sh's two parts are there (as for run.sh):
#   bash bench/gpu/deepseek-v2-lite.sh PART_A_DIR PART_B_DIR [STEP...]
# Steps (default: all five, in this order; one step per call keeps each under the 10-minute limit):
#   torch=dsv2-sample  transformers' generate, no adapters
#   bench=dsv2-sample  align4j's sampler, every weight bf16 only (no train phase)
#   bench=dsv2-grpo    one GRPO step (median of 2 after one warm-up) with LoRA r16 (all-linear) and checkpointing
#   torch=dsv2-train   transformers' training step with PEFT LoRA r16 (all-linear), checkpointing
#   bench=dsv2-train   align4j's training step with LoRA r16, checkpointing
# The workload: 8 prompts x 8 completions, 64-token prompts, 128 new tokens (GRPO: 64 completions a step, 16 a
# micro-batch); training 8 x 512 tokens.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
parta=${1:?usage: deepseek-v2-lite.sh PART_A_DIR PART_B_DIR [STEP...]}
partb=${2:?usage: deepseek-v2-lite.sh PART_A_DIR PART_B_DIR [STEP...]}
shift 2
cfg=bench/configs/deepseek-v2-lite.json
sample="--prompts 8 --group 8 --prompt-len 64 --new-tokens 128"
train="--batch 8 --seq 512"
# fused latent attention (flash_mma.cu 192/128 with bf16): no [seq, seq] probabilities
flash="--attn-implementation flash_attention_2"
# The float32 host copy of 15.7B weights (58.5 GiB) passes JavaCPP's default off-heap limit (-Xmx24g); the machine
# has 128 GiB.
export A4J_JAVA_OPTS=${A4J_JAVA_OPTS:-"-Dorg.bytedeco.javacpp.maxBytes=100g -Dorg.bytedeco.javacpp.maxPhysicalBytes=0"}
export TORCH_ARGS_DSV2_SAMPLE="--model-config $cfg --bf16 --skip-train $sample --repeats 3"
export BENCH_ARGS_DSV2_SAMPLE="--model-config $cfg --bf16 --phases sample $sample --repeats 3"
export BENCH_ARGS_DSV2_GRPO="--model-config $cfg --bf16 --lora-r 16 --gradient-checkpointing $flash --phases grpo $sample \
--repeats 2"
export TORCH_ARGS_DSV2_TRAIN="--model-config $cfg --bf16 --lora-r 16 --gradient-checkpointing --skip-sample $train \
--repeats 3"
export BENCH_ARGS_DSV2_TRAIN="--model-config $cfg --bf16 --lora-r 16 --gradient-checkpointing $flash --phases train $train \
--repeats 3"
(( $# )) || set -- torch=dsv2-sample bench=dsv2-sample bench=dsv2-grpo torch=dsv2-train bench=dsv2-train
exec bash "$here/run.sh" "$parta" "$partb" "$@"
