"""Extra chat-template cases (tools, tool calls, reasoning, enable_thinking, raise_exception, tojson, ...)
rendered by Jinja2 set up as transformers' apply_chat_template sets it up (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loopcontrols, transformers' tojson, raise_exception, strftime_now, the special
tokens of tokenizer_config.json as variables). Writes policy/src/test/resources/chat/chat_extra_jinja2.json.

    python3 bench/chat/make_extra_chat_cases.py   (needs jinja2 >= 3.1)
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
RES = os.path.join(ROOT, "policy", "src", "test", "resources")


class TemplateError(Exception):
    pass


def env():
    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.now().strftime(fmt)

    e = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    e.filters["tojson"] = tojson
    e.globals["raise_exception"] = raise_exception
    e.globals["strftime_now"] = strftime_now
    return e


def special_tokens(cfg):
    out = {}
    for k in ["bos_token", "eos_token", "unk_token", "pad_token"]:
        v = cfg.get(k)
        if isinstance(v, dict):
            v = v.get("content")
        if v is not None:
            out[k] = v
    return out


WEATHER = {"type": "function", "function": {"name": "get_weather", "description": "Weather in a city — now",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer", "default": 1}},
                          "required": ["city"]}}}
PYTHON = {"type": "function", "function": {"name": "python", "description": "Runs Python code and returns what it prints.",
          "parameters": {"type": "object", "properties": {"code": {"type": "string"}}, "required": ["code"]}}}

QWEN_CASES = [
    {"messages": [{"role": "user", "content": "What is the weather in Zürich?"}], "tools": [WEATHER, PYTHON], "add_generation_prompt": True},
    {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather in Paris?"},
                  {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]},
                  {"role": "tool", "content": "{\"temp\": 21.5}"}, {"role": "tool", "content": "sunny"}],
     "tools": [WEATHER], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
                  {"role": "user", "content": "and 3+3?"}, {"role": "assistant", "content": "<think>\nagain\n</think>\n\n6"}],
     "add_generation_prompt": False},
    {"messages": [{"role": "user", "content": "x?"}, {"role": "assistant", "content": "y", "reasoning_content": "\nthink hard\n"}],
     "add_generation_prompt": False},
    {"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": True, "kwargs": {"enable_thinking": False}},
    {"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": True, "kwargs": {"enable_thinking": True}},
    {"messages": [{"role": "user", "content": "Compute 7*6 with python."},
                  {"role": "assistant", "content": "I will run it.", "tool_calls": [{"type": "function", "function": {"name": "python", "arguments": "{\"code\": \"print(7*6)\"}"}},
                                                                                   {"function": {"name": "python", "arguments": {"code": "print('ünï')"}}}]},
                  {"role": "tool", "content": "42"}, {"role": "tool", "content": "ünï"},
                  {"role": "assistant", "content": "42"}], "tools": [PYTHON], "add_generation_prompt": False},
    {"messages": [{"role": "user", "content": "<tool_response>\nx\n</tool_response>"}, {"role": "assistant", "content": "ok"}],
     "add_generation_prompt": True},
]

DEEPSEEK_CASES = [
    {"messages": [{"role": "system", "content": "A"}, {"role": "system", "content": "B"}, {"role": "user", "content": "Weather?"},
                  {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
                  {"role": "tool", "content": "sunny"}, {"role": "tool", "content": "21C"}],
     "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "Weather?"},
                  {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
                  {"role": "tool", "content": "sunny"}, {"role": "assistant", "content": "It is sunny."}, {"role": "user", "content": "Thanks"}],
     "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": False},
]

# A template of the Jinja features chat templates use, beyond the two real ones.
FEATURES = """{%- set ns = namespace(n=0, names=[]) -%}
{%- for m in messages -%}
{%- if m.role not in ['system', 'user', 'assistant'] %}{{ raise_exception('Unknown role: ' + m.role) }}{% endif -%}
{%- if m.content is string %}{{ m.role | upper }}: {{ m.content | trim }}{% if not loop.last %}{{ '\\n' }}{% endif %}{% endif -%}
{%- if m.content is mapping %}{% for k, v in m.content.items() %}{{ k }}={{ v }};{% endfor %}{% endif -%}
{%- set ns.n = ns.n + 1 -%}
{%- if loop.index > 3 %}{% break %}{% endif -%}
{%- endfor %}
{{ '\\n' }}count={{ ns.n }} len={{ messages | length }} last={{ messages[-1].content[:3] }} rev={{ messages[::-1][0].role }}
{% if tools %}{{ tools | tojson(indent=2) }}
{{ tools[0] | tojson }}{% endif %}
{% for m in messages %}{% if m.role == 'user' %}{% continue %}{% endif %}[{{ loop.index0 }}]{% endfor %}

{{ 'a,b,,c'.split(',') | length }} {{ '  pad  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'Hello'.startswith('He') }}|{{ 'ab' in 'cabd' }}|{{ 'a b  c'.split() | join('/') }}
{{ bos_token }}{{ eos_token }}{% if add_generation_prompt %}ASSISTANT:{% endif %}"""

FEATURE_CASES = [
    {"messages": [{"role": "system", "content": "  sys  "}, {"role": "user", "content": "Hello there"},
                  {"role": "assistant", "content": {"b": 2, "a": 1}}, {"role": "user", "content": "more"}, {"role": "user", "content": "never"}],
     "tools": [{"name": "f", "params": {"x": [1, 2.5, True, None, "ü\n\"q\""]}}], "add_generation_prompt": True},
    {"messages": [{"role": "user", "content": "a"}, {"role": "robot", "content": "b"}], "add_generation_prompt": False},
]


def render(source, toks, case):
    t = env().from_string(source)
    try:
        return {"expected": t.render(messages=case["messages"], tools=case.get("tools"), documents=None,
                                     add_generation_prompt=case["add_generation_prompt"], **toks, **case.get("kwargs", {}))}
    except TemplateError as e:
        return {"error": str(e)}


def main():
    out = []
    for name, cases in [("qwen3", QWEN_CASES), ("deepseek_v3", DEEPSEEK_CASES)]:
        cfg = json.load(open(os.path.join(RES, "tokenizers", name, "tokenizer_config.json")))
        for c in cases:
            out.append({"template": name, **c, **render(cfg["chat_template"], special_tokens(cfg), c)})
    for c in FEATURE_CASES:
        out.append({"template": "features", **c, **render(FEATURES, {"bos_token": "<s>", "eos_token": "</s>"}, c)})
    os.makedirs(os.path.join(RES, "chat"), exist_ok=True)
    with open(os.path.join(RES, "chat", "features.jinja"), "w") as f:
        f.write(FEATURES)
    with open(os.path.join(RES, "chat", "chat_extra_jinja2.json"), "w") as f:
        json.dump(out, f, ensure_ascii=False, indent=1)
    print(len(out), "cases")


if __name__ == "__main__":
    main()
