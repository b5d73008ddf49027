#!/usr/bin/env python3
"""scripts/check-function-length.py on C++ of known lengths: braces in
strings, characters, raw strings and comments do not count; the limit is
inclusive; a long-function comment and the known list excuse a function."""

import os
import subprocess
import sys
import tempfile
import textwrap
import unittest

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                      "check-function-length.py")


def body(lines):
    """A function body of exactly `lines` lines, opening and closing brace included."""
    inner = [f"  x += {i};" for i in range(lines - 2)]
    return "{\n" + "\n".join(inner) + "\n}\n"


class CheckFunctionLength(unittest.TestCase):
    def run_check(self, files, *args):
        with tempfile.TemporaryDirectory() as root:
            os.makedirs(os.path.join(root, "src"))
            for name, text in files.items():
                with open(os.path.join(root, "src", name), "w") as f:
                    f.write(text)
            extra = []
            for a in args:
                if a.startswith("known:"):
                    path = os.path.join(root, "known.txt")
                    with open(path, "w") as f:
                        f.write(a[len("known:"):])
                    extra += ["--known", path]
                else:
                    extra.append(a)
            r = subprocess.run([sys.executable, SCRIPT, "--root", root] + extra,
                               capture_output=True, text=True)
            return r.returncode, r.stdout

    def test_exact_length_and_the_limit_is_inclusive(self):
        code, out = self.run_check({
            "a.cc": "int at_limit() " + body(80) + "\nint over() " + body(81)})
        self.assertEqual(code, 1)
        self.assertEqual(out.splitlines(), [
            "src/a.cc:82: over is 81 lines (over 80; add '// long-function: <reason>' if it "
            "must be)"])

    def test_braces_in_literals_and_comments_do_not_count(self):
        # 81 lines: a brace-matching that counted any of these would end the
        # function early (and pass it) or run it into the next one.
        tricky = ("{\n"
                  '  const char* s = "}}} {{";  // } in a comment {\n'
                  "  char c = '}';\n"
                  '  auto r = R"x(})\n'
                  '  }" )x";\n'
                  "  /* } { } */\n"
                  "  int n = 1'000;\n"
                  "  auto f = [](int y) { return y; };\n"
                  + "".join(f"  x += {i};\n" for i in range(81 - 9)) +
                  "}\n")
        self.assertEqual(tricky.count("\n"), 81)
        code, out = self.run_check({"b.cc": "namespace n {\nint tricky() " + tricky +
                                    "int after() { return 0; }\n}  // namespace n\n"})
        self.assertEqual(code, 1)
        self.assertEqual(out.splitlines(), [
            "src/b.cc:2: tricky is 81 lines (over 80; add '// long-function: <reason>' if it "
            "must be)"])

    def test_members_constructors_with_brace_initialisers(self):
        text = textwrap.dedent("""\
            class K {
             public:
              K() : a_{1}, b_(2) """) + body(90) + textwrap.dedent("""\
              int small() const { return a_; }
             private:
              int a_, b_;
            };
            K::K(int v) : a_{v}, b_{v} """) + body(85)
        code, out = self.run_check({"c.cc": text})
        self.assertEqual(code, 1)
        self.assertEqual([line.split(" (")[0] for line in out.splitlines()],
                         ["src/c.cc:3: K is 90 lines", "src/c.cc:97: K::K is 85 lines"])

    def test_a_reason_or_the_known_list_excuses(self):
        code, out = self.run_check({
            "d.cc": "// long-function: a table of cases reads best in one place\nint table() " +
                    body(120)})
        self.assertEqual((code, out), (0, ""))
        code, out = self.run_check({"e.cc": "int legacy() " + body(100)},
                                   "known:src/e.cc legacy  # someone else's\n")
        self.assertEqual(code, 0)
        self.assertIn("legacy is 100 lines (known", out)
        code, out = self.run_check({"f.cc": "int short_now() " + body(10)},
                                   "known:src/f.cc short_now\n")
        self.assertEqual(code, 0)
        self.assertIn("src/f.cc short_now is no longer over 80 lines: remove it", out)


if __name__ == "__main__":
    unittest.main()
