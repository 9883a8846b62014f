#!/usr/bin/env bash
# Issues 15 and 16's measurements at the Qwen2.5 shapes (random weights, bf16), align4j beside PyTorch on the same
# GPU. Runs bench/gpu/run.sh's bench=NAME / torch=NAME steps with these arguments, from the repository root on the
# GPU machine, once stage.sh's two parts are there (as for run.sh):
#   bash bench/gpu/qwen-shapes.sh PART_A_DIR PART_B_DIR STEP...
# Steps (any of run.sh's, plus these names):
#   bench=q15 torch=q15   1.5B: training 4 x 2048, sampling 16 prompts x 8 x 1024 new tokens (issue 15's goals)
#   bench=q05 torch=q05   the same at the 0.5B shape
#   bench=q15p            1.5B training 4 x 2048 with --profile (a wait after every op: per-op times are real)
#   bench=q15sp           1.5B sampling 2 x 8 x 256 with --profile, likewise (step graphs off)
#   bench=q15long         one GRPO step, G = 8 completions of 8192 tokens at the 1.5B shape (issue 15)
#   bench=q15full bench=q15lora bench=q7lora   GRPO steps 8 x 8 x 512: full 1.5B, LoRA r16 1.5B and 7B (issue 16)
# --bf16 turns on bf16 products and the tensor-core attention (no environment variable needed).
set -uo pipefail
parta=${1:?usage: qwen-shapes.sh PART_A_DIR PART_B_DIR STEP...}
partb=${2:?usage: qwen-shapes.sh PART_A_DIR PART_B_DIR STEP...}
shift 2
Q05="--d 896 --layers 24 --heads 14 --kv-heads 2 --ffn 4864 --vocab 151936"
Q15="--d 1536 --layers 28 --heads 12 --kv-heads 2 --ffn 8960 --vocab 151936"
Q7="--d 3584 --layers 28 --heads 28 --kv-heads 4 --ffn 18944 --vocab 152064 --untied"
SHAPE="--batch 4 --seq 2048 --prompts 16 --group 8 --prompt-len 128 --new-tokens 1024 --repeats 2"
FLASH="--bf16 --attn-implementation flash_attention_2"
export BENCH_ARGS_Q15="$Q15 $SHAPE $FLASH --phases train,sample"
export TORCH_ARGS_Q15="$Q15 $SHAPE --bf16 --hf-generate"
export BENCH_ARGS_Q05="$Q05 $SHAPE $FLASH --phases train,sample"
export TORCH_ARGS_Q05="$Q05 $SHAPE --bf16 --hf-generate"
export BENCH_ARGS_Q15P="$Q15 --batch 4 --seq 2048 --repeats 1 $FLASH --phases train --profile"
export BENCH_ARGS_Q15SP="$Q15 --prompts 2 --group 8 --prompt-len 128 --new-tokens 256 --repeats 1 $FLASH --phases sample --profile"
GRPO="--repeats 1 $FLASH --gradient-checkpointing --phases grpo"
export BENCH_ARGS_Q15LONG="$Q15 --prompts 1 --group 8 --prompt-len 128 --new-tokens 8192 $GRPO"
export BENCH_ARGS_Q15FULL="$Q15 --prompts 8 --group 8 --prompt-len 128 --new-tokens 512 $GRPO"
export BENCH_ARGS_Q15LORA="$BENCH_ARGS_Q15FULL --lora-r 16"
export BENCH_ARGS_Q7LORA="$Q7 --prompts 8 --group 8 --prompt-len 128 --new-tokens 512 $GRPO --lora-r 16"
bash bench/gpu/run.sh "$parta" "$partb" "$@"
