"""Exact comparison of sqlglot trees, for the compiler's round-trip checks.

sqlglot's own ``==`` compares hashes that fold string case, so ``"Orders"`` equals ``orders``;
the compiler needs the opposite: two trees are the same only if every node has the same class and
every argument the same value, names and literals compared exactly (quoting included). An argument
that is None, False or an empty list counts as absent, since parsing and building a node spell
"not set" differently. Comments and meta data are not compared.
"""

from sqlglot import exp


def first_difference(left: object, right: object) -> str | None:
    """What first differs between ``left`` and ``right`` (a node and argument), or None."""
    stack: list[tuple[object, object]] = [(left, right)]
    while stack:
        a, b = stack.pop()
        if type(a) is not type(b):
            return f"{type(a).__name__} is not {type(b).__name__}"
        if isinstance(a, exp.Expr):
            args_b = b.args  # type: ignore[attr-defined]
            set_in_a = 0
            for key, value in a.args.items():
                if _absent(value):
                    continue
                set_in_a += 1
                other = args_b.get(key)
                if _absent(other):
                    return f"{a.key}.{key} is set on one side only"
                stack.append((value, other))
            if set_in_a != sum(not _absent(value) for value in args_b.values()):
                return f"{a.key} has arguments set on one side only"
        elif isinstance(a, list):
            if len(a) != len(b):  # type: ignore[arg-type]
                return f"{len(a)} items are not {len(b)}"  # type: ignore[arg-type]
            stack.extend(zip(a, b, strict=True))  # type: ignore[call-overload]
        elif a != b:
            return f"{a!r} is not {b!r}"
    return None


def same_tree(left: exp.Expr, right: exp.Expr) -> bool:
    """Whether the two trees are exactly the same (see the module doc)."""
    return first_difference(left, right) is None


def set_args(node: exp.Expr) -> set[str]:
    """The names of ``node``'s arguments that are set (not None, False or an empty list)."""
    return {key for key, value in node.args.items() if not _absent(value)}


def _absent(value: object) -> bool:
    return value is None or value is False or (type(value) is list and not value)
