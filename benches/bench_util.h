// Generators shared by the micro-benchmarks.
#pragma once

#include <algorithm>
#include <string>

namespace fastest::bench {

// A test module of about `lines` lines: classes, functions and parametrized tests.
inline std::string generated_test_file(int lines) {
  std::string out = "import pytest\n\nVALUES = [1, 2, 3]\n\n";
  int n = 0;
  while (static_cast<int>(std::count(out.begin(), out.end(), '\n')) < lines) {
    out += "class TestGroup" + std::to_string(n) + ":\n";
    for (int m = 0; m < 5; ++m)
      out += "    def test_method_" + std::to_string(m) + "(self):\n        value = " + std::to_string(m) +
             "\n        assert value == " + std::to_string(m) + "\n\n";
    out += "@pytest.mark.parametrize('x, y', [(1, 'a'), (2, 'b'), (3, 'c')])\ndef test_param_" + std::to_string(n) +
           "(x, y):\n    assert x\n\n";
    out += "def test_plain_" + std::to_string(n) + "():\n    assert True\n\n";
    ++n;
  }
  return out;
}

}  // namespace fastest::bench
