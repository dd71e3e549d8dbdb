"""Suite YAML plumbing: key paths -> line numbers, pydantic error locations -> key paths, and
merging (`--profile` overrides, a strategy's `model:` over the suite's).

Contract: `parse(text, path)` is the only way a suite's YAML is read: it returns the parsed value
or raises UserError (file, line) for malformed YAML and for hostile input — a file over
MAX_BYTES, aliases expanding to more than MAX_NODES values (an alias bomb), an alias that refers
to itself, nesting deeper than MAX_DEPTH — within a fraction of a second, before anything walks
the expanded tree. `_lines(path)` maps dotted key paths ('strategies.2.lora.r') to 1-based lines
(empty when the file cannot be parsed); `apply_profile` raises UserError naming the file, key
and line; `profile_key` maps a key of the merged suite back to the profile override that set it.
A profile's `strategies:` maps a strategy name to its overrides; a name the suite does not list
is added to the profile's run when its entry has a `type:` (appended, in the profile's order), so
a costly strategy can live in a profile only.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from harness.errors import UserError


MAX_BYTES = 1 << 20     # a suite is a page of settings; 1 MiB is far beyond any real one
MAX_NODES = 100_000     # values after alias expansion
MAX_DEPTH = 64          # nesting levels


def _check_graph(root, path) -> None:
    """Expanded size, nesting depth and alias cycles of a composed YAML node graph.

    PyYAML composes an alias as the same node object, so a bomb is small as a graph and huge as a
    tree; sizes are memoised per node (each node visited once) and a node met again while it is
    still being expanded is a self-reference. Iterative, so depth cannot overflow Python's stack.
    """
    size: dict[int, int] = {}
    open_: set[int] = set()
    stack = [(root, 0, False)]
    while stack:
        node, depth, done = stack.pop()
        nid = id(node)
        kids = ([x for kv in node.value for x in kv] if isinstance(node, yaml.MappingNode)
                else node.value if isinstance(node, yaml.SequenceNode) else [])
        if done:
            open_.discard(nid)
            size[nid] = 1 + sum(size[id(k)] for k in kids)
            if size[nid] > MAX_NODES:
                raise UserError(f"YAML aliases expand to more than {MAX_NODES:,} values "
                                "(an alias bomb?); write the values out", file=str(path),
                                line=node.start_mark.line + 1)
            continue
        if nid in size:
            continue
        if nid in open_:
            raise UserError("a YAML alias refers to the value that contains it (a cycle)",
                            file=str(path), line=node.start_mark.line + 1)
        if depth > MAX_DEPTH:
            raise UserError(f"nested more than {MAX_DEPTH} levels deep", file=str(path),
                            line=node.start_mark.line + 1)
        open_.add(nid)
        stack.append((node, depth, True))
        stack += [(k, depth + 1, False) for k in kids if id(k) not in size]


# LibYAML's parser (bundled with PyYAML's wheels) for the depth check: PyYAML's pure-Python
# scanner looks ahead over every open bracket of a flow collection, checking each pending one per
# token, so "[" x 5,000 takes seconds before the first event; LibYAML takes milliseconds.
_EVENTS_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _check_depth(text: str, path) -> None:
    """Nesting depth from the parser's event stream (iterative, lazy: stops at the limit), before
    PyYAML's recursive composer would spend seconds on a 5,000-deep list and overflow anyway."""
    depth = 0
    try:
        for ev in yaml.parse(text, Loader=_EVENTS_LOADER):
            if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    raise UserError(f"nested more than {MAX_DEPTH} levels deep", file=str(path),
                                    line=ev.start_mark.line + 1)
            elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError as e:
        if "nesting depth" not in str(getattr(e, "problem", "")):
            return  # malformed YAML: PyYAML's composer reports it (its messages and lines)
        # LibYAML's own limit (1,000 levels), met while it scans ahead of the events
        raise UserError(f"nested more than {MAX_DEPTH} levels deep", file=str(path),
                        line=e.problem_mark.line + 1 if e.problem_mark else None) from None


def parse(text: str, path: Path):
    """The YAML value of a suite file's text, checked as the module docstring says."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise UserError(f"suite file is larger than {MAX_BYTES // 1024} KiB", file=str(path))
    try:
        _check_depth(text, path)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            return None
        _check_graph(node, path)
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise UserError(f"malformed YAML: {getattr(e, 'problem', None) or e}", file=str(path),
                        line=mark.line + 1 if mark else None) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise UserError(f"nested more than {MAX_DEPTH} levels deep", file=str(path)) from None


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
    except (yaml.YAMLError, OSError, UnicodeDecodeError, RecursionError):
        pass
    return out


def _key_path(loc: tuple, raw) -> str:
    """Turn a pydantic error location into the YAML key path (dropping union tags)."""
    from harness.registry import STRATEGIES, TASKS
    parts, node, after_index = [], raw, False
    for item in loc:
        tag = after_index and isinstance(node, dict) and node.get("type") == item  # union tag
        task_tag = parts == ["task"] and isinstance(node, dict) and node.get("kind") == item
        after_index = False
        if (tag and item in STRATEGIES) or (task_tag and item in TASKS):
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
    added = _added(raw, profile)
    for n in strat_over:
        if n not in names and n not in added:
            key = f"profiles.{profile}.strategies.{n}"
            raise UserError(f"profile overrides unknown strategy '{n}' (a strategy the profile "
                            "adds needs a `type:`)", file=str(path), key=key,
                            line=_lines(path).get(key))
    merged["strategies"] = [_merge(s, strat_over.get(s.get("name"), {}))
                            if isinstance(s, dict) and isinstance(s.get("name"), str) else s
                            for s in raw["strategies"]] + [
                                {"name": n} | strat_over[n] for n in added]
    return merged


def _added(raw: dict, profile: str) -> list[str]:
    """Names of the strategies profile `profile` adds: entries of its `strategies:` that the
    suite does not list and that carry a `type:`."""
    node = raw.get("profiles")
    node = node.get(profile) if isinstance(node, dict) else None
    over = node.get("strategies") if isinstance(node, dict) else None
    if not isinstance(over, dict):
        return []
    listed = raw.get("strategies") if isinstance(raw.get("strategies"), list) else []
    names = {s.get("name") for s in listed if isinstance(s, dict)}
    return [n for n, v in over.items() if n not in names and isinstance(v, dict) and "type" in v]


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
        if i >= len(listed) and i - len(listed) < len(added := _added(raw, profile)):
            name = added[i - len(listed)]  # a strategy the profile adds
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
