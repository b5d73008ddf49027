#!/usr/bin/env python3
"""Lists C++ functions in src/ whose bodies run over a line limit.

    scripts/check-function-length.py [--max 80] [--root DIR] [--known FILE] [PATH...]

A function body is counted from the line of its opening brace to the line of
its closing brace. Strings, character literals, raw strings, comments and
preprocessor lines are blanked before the braces are matched, so a brace in
a string or a comment does not count. A function may run longer when one of
the three lines above its signature, or its signature, holds

    // long-function: <reason>

--known FILE lists offenders that are known and owned elsewhere, one
"PATH FUNCTION" a line ('#' starts a comment): they are listed as known and do
not fail the check; an entry that is no longer over the limit is reported as
stale (remove it).

Exit status: 0 when no function is over the limit (known ones aside), 1 when
some are (each listed as FILE:LINE: NAME is N lines), 2 for bad arguments.
"""

import argparse
import os
import re
import sys

ALLOW = re.compile(r"//\s*long-function:\s*\S")
SCOPE_WORDS = re.compile(r"\b(namespace|class|struct|union|enum)\b|\bextern\s*$")
IDENT_END = re.compile(r"[A-Za-z_0-9>]\s*$")
CTOR_INIT = re.compile(r"\)\s*(noexcept\s*)?:(?!:)")


def blank(text):
    """The text with literals, comments and preprocessor lines replaced by
    spaces (newlines kept, so line numbers stay)."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c in " \t":
            out.append(c)
            i += 1
            continue
        if line_start and c == "#":
            # A preprocessor line, with its continuations.
            while i < n and text[i] != "\n":
                if text[i] == "\\" and i + 1 < n and text[i + 1] == "\n":
                    out.append(" \n")
                    i += 2
                    continue
                out.append(" ")
                i += 1
            continue
        line_start = c == "\n"
        if text.startswith("//", i):
            while i < n and text[i] != "\n":
                out.append(" ")
                i += 1
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        m = re.match(r'(?:u8|u|U|L)?R"([^ ()\\\t\n]{0,16})\(', text[i:i + 40])
        if m and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = ")" + m.group(1) + '"'
            end = text.find(close, i + m.end())
            end = n if end < 0 else end + len(close)
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
            continue
        if c in "\"'":
            # A digit separator (1'000) is not a character literal.
            if c == "'" and i > 0 and text[i - 1].isalnum() and i + 1 < n and text[i + 1].isalnum():
                out.append(" ")
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        out.append(c)
        i += 1
    return "".join(out)


def function_name(header):
    head = header.split("(")[0] if "(" in header else header
    names = re.findall(r"[~A-Za-z_][A-Za-z_0-9:~<>]*", head)
    return names[-1] if names else "?"


def long_functions(path, max_lines):
    with open(path, encoding="utf-8", errors="replace") as f:
        original = f.read()
    lines = original.split("\n")
    code = blank(original)
    found = []
    # Each open brace: (kind, line, header start offset); kinds are "scope"
    # (namespace, class), "function", "init" (a brace initializer in a
    # constructor's initializer list) and "block" (inside a function, or an
    # initializer at namespace scope).
    stack = []
    header_start = 0
    in_function = 0
    for i, c in enumerate(code):
        if c == ";" and not in_function:
            header_start = i + 1
        elif c == "{":
            line = code.count("\n", 0, i) + 1
            if in_function:
                stack.append(("block", line, 0))
                in_function += 1
                continue
            header = code[header_start:i]
            if CTOR_INIT.search(header) and IDENT_END.search(header):
                stack.append(("init", line, header_start))
            elif SCOPE_WORDS.search(header) and "(" not in header.split("{")[0].split(":")[0]:
                stack.append(("scope", line, header_start))
                header_start = i + 1
            elif "(" in header and not re.search(r"=\s*$", header):
                stack.append(("function", line, header_start))
                in_function = 1
            else:
                stack.append(("block", line, header_start))
        elif c == "}":
            if not stack:
                continue
            kind, start_line, start = stack.pop()
            if kind == "function" or (kind == "block" and in_function):
                in_function -= 1
            if kind == "function":
                end_line = code.count("\n", 0, i) + 1
                length = end_line - start_line + 1
                # The signature's first line: past blanks, comments (blanked)
                # and access specifiers.
                m = re.compile(r"\s*(?:(?:public|private|protected)\s*:(?!:)\s*)*").match(code, start)
                header_line = code.count("\n", 0, m.end()) + 1
                allowed = any(
                    ALLOW.search(lines[k])
                    for k in range(max(0, header_line - 4), start_line)
                )
                if length > max_lines and not allowed:
                    found.append((header_line, function_name(code[start:code.index("{", start)]),
                                  length))
            if kind != "init" and not in_function:
                header_start = i + 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="*", help="files or folders (default: src/)")
    parser.add_argument("--max", type=int, default=80, help="most lines a body may have")
    parser.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                        help="repository root (default: this script's parent)")
    parser.add_argument("--known", help="file of known offenders: PATH FUNCTION per line")
    args = parser.parse_args()
    root = os.path.abspath(args.root)
    known = set()
    if args.known:
        try:
            with open(args.known, encoding="utf-8") as f:
                for number, line in enumerate(f, 1):
                    fields = line.split("#", 1)[0].split()
                    if not fields:
                        continue
                    if len(fields) != 2:
                        print(f"check-function-length: {args.known}:{number}: expected "
                              f"'PATH FUNCTION', got {line.strip()!r}", file=sys.stderr)
                        return 2
                    known.add((fields[0], fields[1]))
        except OSError as e:
            print(f"check-function-length: cannot read {args.known}: {e.strerror}", file=sys.stderr)
            return 2
    paths = args.paths or [os.path.join(root, "src")]
    files = []
    for p in paths:
        if os.path.isdir(p):
            for dirpath, _, names in os.walk(p):
                files += [os.path.join(dirpath, n) for n in names
                          if n.endswith((".cc", ".cpp", ".h", ".hpp"))]
        elif os.path.isfile(p):
            files.append(p)
        else:
            print(f"check-function-length: no such file or folder: {p}", file=sys.stderr)
            return 2
    offenders = 0
    seen = set()
    for path in sorted(files):
        rel = os.path.relpath(path, root)
        for line, name, length in long_functions(path, args.max):
            if (rel, name) in known:
                seen.add((rel, name))
                print(f"{rel}:{line}: {name} is {length} lines (known, listed in {args.known})")
                continue
            print(f"{rel}:{line}: {name} is {length} lines "
                  f"(over {args.max}; add '// long-function: <reason>' if it must be)")
            offenders += 1
    for rel, name in sorted(known - seen):
        if os.path.join(root, rel) in files or not args.paths:
            print(f"{args.known}: {rel} {name} is no longer over {args.max} lines: remove it")
    if offenders:
        print(f"{offenders} function(s) over {args.max} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
