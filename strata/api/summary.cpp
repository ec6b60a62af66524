// Model::summary_string: the Keras 3 table (box-drawn columns Layer (type) / Output Shape /
// Param #, then totals with their memory size).
#include <cstdio>
#include <sstream>

#include "strata/api/model.hpp"

namespace strata {

namespace {

std::string with_commas(int64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

// Keras' readable_memory_size: powers of 1024, two decimals.
std::string memory_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
  return buf;
}

// Pads or cuts to `width` display columns (box characters are multi-byte but one column).
std::string pad_to(const std::string& s, size_t width, bool right = false) {
  std::string t = s.size() > width ? s.substr(0, width - 1) + "…" : s;
  size_t cols = 0;
  for (unsigned char c : t) cols += (c & 0xC0) != 0x80;
  std::string pad(width > cols ? width - cols : 0, ' ');
  return right ? pad + t : t + pad;
}

std::string repeat(const char* s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

std::string Model::summary_string() const {
  const size_t w[3] = {37, 28, 15};
  auto rule = [&](const char* l, const char* m, const char* r, const char* h) {
    return std::string(l) + repeat(h, w[0] + 2) + m + repeat(h, w[1] + 2) + m +
           repeat(h, w[2] + 2) + r + "\n";
  };
  auto row = [&](const char* bar, const std::string& a, const std::string& b,
                 const std::string& c) {
    return std::string(bar) + " " + pad_to(a, w[0]) + " " + bar + " " + pad_to(b, w[1]) + " " + bar +
           " " + pad_to(c, w[2], true) + " " + bar + "\n";
  };
  std::ostringstream out;
  out << "Model: \"" << name() << "\"\n";
  out << rule("┏", "┳", "┓", "━");
  out << row("┃", "Layer (type)", "Output Shape", "Param #");
  out << rule("┡", "╇", "┩", "━");
  const auto ls = layers();
  int64_t trainable = 0, total = 0;
  for (size_t i = 0; i < ls.size(); ++i) {
    const auto& l = ls[i];
    const int64_t n = l->count_params();
    total += n;
    for (const auto& t : l->trainable_weights()) trainable += t.numel();
    out << row("│", l->name() + " (" + l->class_name() + ")",
               l->built() ? l->output_shape().str() : "?",
               l->built() ? with_commas(n) : "0 (unbuilt)");
    if (i + 1 < ls.size()) out << rule("├", "┼", "┤", "─");
  }
  out << rule("└", "┴", "┘", "─");
  auto total_line = [&](const char* what, int64_t k) {
    out << " " << what << ": " << with_commas(k) << " (" << memory_size(double(k) * 4) << ")\n";
  };
  total_line("Total params", total);
  total_line("Trainable params", trainable);
  total_line("Non-trainable params", total - trainable);
  return out.str();
}

}  // namespace strata
