"""Tiny hand-assembled Wasm modules for the ETL tests (no wat2wasm needed).

`sdk_module()` builds a minimal lode SDK-style transform (host-abi v1: `memory`,
`lode_abi_version`, `lode_alloc`, `lode_transform` returning OK with empty output). Knobs add one
defect at a time: an extra import, a wrong ABI version. With no knobs the module is valid, which
the tests check first, so that a rejection of a defective one is about that defect only.
"""

I32 = 0x7F
FUNC = 0x60


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        done = (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40)
        out.append(byte if done else byte | 0x80)
        if done:
            return bytes(out)


def _vec(items) -> bytes:
    items = list(items)
    return _uleb(len(items)) + b"".join(items)


def _name(text: str) -> bytes:
    raw = text.encode()
    return _uleb(len(raw)) + raw


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + _uleb(len(body)) + body


def _functype(params, results) -> bytes:
    return bytes([FUNC]) + _vec(bytes([p]) for p in params) + _vec(bytes([r]) for r in results)


def _const_body(value: int) -> bytes:
    """A function body returning `i32.const value`, no locals."""
    code = b"\x00" + b"\x41" + _sleb(value) + b"\x0b"
    return _uleb(len(code)) + code


def sdk_module(extra_import=None, abi_version: int = 1) -> bytes:
    """A minimal SDK-style module. `extra_import=("module", "name")` adds an imported function
    of type `() -> i32` that nothing calls."""
    types = [_functype([], [I32]), _functype([I32], [I32]), _functype([I32, I32], [I32])]
    imports = []
    if extra_import:
        mod, name = extra_import
        imports.append(_name(mod) + _name(name) + b"\x00" + _uleb(0))
    funcs = [0, 1, 2]  # abi_version, alloc, transform
    bodies = [_const_body(abi_version), _const_body(1024), _const_body(0)]
    first = len(imports)
    exports = [
        _name("memory") + b"\x02" + _uleb(0),
        _name("lode_abi_version") + b"\x00" + _uleb(first),
        _name("lode_alloc") + b"\x00" + _uleb(first + 1),
        _name("lode_transform") + b"\x00" + _uleb(first + 2),
    ]
    out = b"\x00asm\x01\x00\x00\x00"
    out += _section(1, _vec(types))
    if imports:
        out += _section(2, _vec(imports))
    out += _section(3, _vec(_uleb(t) for t in funcs))
    out += _section(5, _vec([b"\x00" + _uleb(2)]))  # one memory, min 2 pages, no max
    out += _section(7, _vec(exports))
    out += _section(10, _vec(bodies))
    return out
