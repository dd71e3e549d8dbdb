"""Suite YAML plumbing: key paths -> line numbers, pydantic error locations -> key paths, and
merging (`--profile` overrides, a strategy's `model:` over the suite's).

Contract: `_lines(path)` maps dotted key paths ('strategies.2.lora.r') to 1-based lines (empty
when the file cannot be parsed); `apply_profile` raises UserError naming the file, key and line;
`profile_key` maps a key of the merged suite back to the profile override that set it.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from harness.errors import UserError


def _walk(node, prefix, out):
    """Map dotted key paths ('strategies.2.lora.r') to 1-based line numbers."""
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = f"{prefix}.{k.value}" if prefix else str(k.value)
            out[key] = k.start_mark.line + 1
            _walk(v, key, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            key = f"{prefix}.{i}" if prefix else str(i)
            out[key] = v.start_mark.line + 1
            _walk(v, key, out)


def _lines(path: Path) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        _walk(yaml.compose(path.read_text(encoding="utf-8")), "", out)
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        pass
    return out


def _key_path(loc: tuple, raw) -> str:
    """Turn a pydantic error location into the YAML key path (dropping union tags)."""
    parts, node, after_index = [], raw, False
    for item in loc:
        tag = after_index and isinstance(node, dict) and node.get("type") == item  # union tag
        after_index = False
        if tag and item in ("prompt", "rag", "lora", "hybrid"):
            continue  # discriminator tag inserted by pydantic (a lora strategy also has `lora:`)
        if isinstance(node, list) and isinstance(item, int):
            parts.append(str(item)); node = node[item] if item < len(node) else None
            after_index = True
        elif isinstance(node, dict) and item in node:
            parts.append(str(item)); node = node[item]
        else:
            parts.append(str(item)); node = None
    return ".".join(parts)


def _merge(base, over):
    if isinstance(base, dict) and isinstance(over, dict):
        return {k: _merge(base.get(k), v) if k in base else v for k, v in over.items()} | {
            k: v for k, v in base.items() if k not in over}
    return over


def apply_profile(raw: dict, profile: str, path: Path) -> dict:
    profiles = raw.get("profiles") or {}
    if not isinstance(profiles, dict) or profile not in profiles or not isinstance(
            profiles[profile], dict):
        known = sorted(map(str, profiles)) if isinstance(profiles, dict) else []
        raise UserError(f"no profile '{profile}' (profiles: {known})", file=str(path),
                        key="profiles", line=_lines(path).get("profiles"))
    over = dict(profiles[profile])
    strat_over = over.pop("strategies", {}) or {}
    if not isinstance(strat_over, dict) or not all(isinstance(v, dict) for v in strat_over.values()):
        key = f"profiles.{profile}.strategies"
        raise UserError("must map strategy names to their overrides", file=str(path), key=key,
                        line=_lines(path).get(key))
    merged = _merge(raw, over)
    merged["name"] = f"{raw.get('name')}-{profile}"
    merged["profiles"] = {}
    if not isinstance(raw.get("strategies"), list):
        return merged  # let the schema report the bad `strategies`
    names = [s.get("name") for s in raw.get("strategies", []) if isinstance(s, dict)]
    for n in strat_over:
        if n not in names:
            key = f"profiles.{profile}.strategies.{n}"
            raise UserError(f"profile overrides unknown strategy '{n}'", file=str(path), key=key,
                            line=_lines(path).get(key))
    merged["strategies"] = [_merge(s, strat_over.get(s.get("name"), {}))
                            if isinstance(s, dict) and isinstance(s.get("name"), str) else s
                            for s in raw["strategies"]]
    return merged


def profile_key(raw: dict, profile: str, key: str) -> str | None:
    """Where in `profiles.<profile>` of the unmerged suite `raw` the value at `key` (a key path
    of the merged suite) was set, or None when it came from the suite itself; errors in a
    profile's overrides then name the profile's key and line."""
    profiles = raw.get("profiles")
    node = profiles.get(profile) if isinstance(profiles, dict) else None
    parts, out = key.split("."), ["profiles", profile]
    if parts[:1] == ["strategies"] and len(parts) > 2 and parts[1].isdigit():
        listed = raw.get("strategies") if isinstance(raw.get("strategies"), list) else []
        i = int(parts[1])
        name = listed[i].get("name") if i < len(listed) and isinstance(listed[i], dict) else None
        over = node.get("strategies") if isinstance(node, dict) else None
        node = over.get(name) if isinstance(over, dict) and isinstance(name, str) else None
        parts, out = parts[2:], out + ["strategies", str(name)]
    if not isinstance(node, dict):
        return None
    for part in parts:
        if not isinstance(node, dict):
            return ".".join(out)  # the profile set this whole value
        if part not in node:
            return None
        node = node[part]
        out.append(part)
    return ".".join(out)


def _inherit_model(raw: dict) -> dict:
    """A strategy's `model:` overrides the suite's key by key; across backends (local -> API)
    only the generation knobs are inherited, so both answer under the same limits."""
    base = raw.get("model") if isinstance(raw.get("model"), dict) else {}
    if not isinstance(raw.get("strategies"), list):
        return raw  # validation reports it
    out = []
    for s in raw["strategies"]:
        if isinstance(s, dict) and isinstance(s.get("model"), dict):
            same = s["model"].get("backend", "hf") == base.get("backend", "hf")
            inherited = base if same else {k: v for k, v in base.items()
                                           if k in ("max_new_tokens", "stop")}
            s = s | {"model": _merge(inherited, s["model"])}
        out.append(s)
    return raw | {"strategies": out}
