#include "strata/layers/attention_masks.hpp"

#include "strata/core/error.hpp"

namespace strata::attention_masks {

void check_sequence_mask(const std::string& who, const char* what, const Tensor& mask, int64_t n,
                         int64_t len) {
  if (mask.rank() != 2 || mask.dim(0) != n || mask.dim(1) != len)
    throw ValueError(who + ": the " + what + " must have shape " + Shape{n, len}.str() +
                     " (batch, steps), got " + mask.shape().str());
}

std::vector<float> combine(const std::string& who, const Parts& p, int64_t n, int64_t t,
                           int64_t s) {
  const bool any = p.query_mask.defined() || p.value_mask.defined() || p.key_mask.defined() ||
                   p.attention_mask.defined() || p.causal;
  if (!any) return {};
  std::vector<float> keep(static_cast<size_t>(n * t * s), 1.f);
  auto at = [&](int64_t b, int64_t i, int64_t j) -> float& {
    return keep[static_cast<size_t>((b * t + i) * s + j)];
  };
  if (p.query_mask.defined()) {
    check_sequence_mask(who, "query mask", p.query_mask, n, t);
    const auto m = p.query_mask.to_vector<float>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < t; ++i)
        if (m[static_cast<size_t>(b * t + i)] == 0.f)
          for (int64_t j = 0; j < s; ++j) at(b, i, j) = 0.f;
  }
  const std::pair<const Tensor*, const char*> columns[] = {{&p.value_mask, "value mask"},
                                                           {&p.key_mask, "key mask"}};
  for (const auto& [mask, what] : columns) {
    if (!mask->defined()) continue;
    check_sequence_mask(who, what, *mask, n, s);
    const auto m = mask->to_vector<float>();
    for (int64_t b = 0; b < n; ++b)
      for (int64_t j = 0; j < s; ++j)
        if (m[static_cast<size_t>(b * s + j)] == 0.f)
          for (int64_t i = 0; i < t; ++i) at(b, i, j) = 0.f;
  }
  if (p.causal)
    for (int64_t b = 0; b < n; ++b)
      for (int64_t i = 0; i < t; ++i)
        for (int64_t j = i + 1; j < s; ++j) at(b, i, j) = 0.f;
  if (p.attention_mask.defined()) {
    const Tensor& a = p.attention_mask;
    if (a.rank() != 3 || a.dim(0) != n || a.dim(1) != t || a.dim(2) != s)
      throw ValueError(who + ": attention_mask must have shape " + Shape{n, t, s}.str() +
                       " (batch, query steps, value steps), got " + a.shape().str());
    const auto m = a.to_vector<float>();
    for (size_t k = 0; k < keep.size(); ++k)
      if (m[k] == 0.f) keep[k] = 0.f;
  }
  return keep;
}

Tensor adder(const std::vector<float>& keep, const Shape& shape, Backend& backend) {
  std::vector<float> v(keep.size());
  for (size_t k = 0; k < keep.size(); ++k) v[k] = keep[k] == 0.f ? kLargeNegative : 0.f;
  return Tensor::from_vector(shape, v, backend);
}

Tensor binary(const Tensor& mask, const Shape& shape, Backend& backend) {
  auto v = mask.to_vector<float>();
  for (auto& x : v) x = x == 0.f ? 0.f : 1.f;
  return Tensor::from_vector(shape, v, backend);
}

void check_sequences(const std::string& who, const std::vector<Shape>& inputs,
                     const char* rank_note) {
  for (const Shape& s : inputs)
    if (s.rank() != 3)
      throw ValueError(who + ": expected rank-3 inputs (batch, steps, features), got " +
                       named_shapes(inputs) + rank_note);
  int64_t batch = -1;
  for (const Shape& s : inputs) {
    if (s[1] == 0 || s[2] == 0)
      throw ValueError(who + ": inputs need at least one step and one feature, got " +
                       named_shapes(inputs));
    if (s[0] >= 0) {
      if (batch >= 0 && s[0] != batch)
        throw ValueError(who + ": inputs must have the same batch size, got " +
                         named_shapes(inputs));
      batch = s[0];
    }
  }
}

void check_features(const std::string& who, const std::vector<Shape>& built,
                    const std::vector<Shape>& got) {
  bool ok = got.size() == built.size();
  for (size_t i = 0; ok && i < got.size(); ++i) ok = got[i][2] == built[i][2];
  if (!ok)
    throw ValueError(who + ": was built for " + named_shapes(built) + ", got " + named_shapes(got) +
                     " (feature dimensions must match)");
}

const char* input_role(size_t i) {
  static const char* const names[] = {"query", "value", "key", "attention_mask"};
  return i < 4 ? names[i] : "input";
}

std::string named_shapes(const std::vector<Shape>& shapes) {
  std::string s;
  for (size_t i = 0; i < shapes.size(); ++i)
    s += std::string(i ? ", " : "") + input_role(i) + " " + shapes[i].str();
  return s;
}

std::vector<Tensor> query_mask_outputs(const std::vector<Tensor>& masks, bool with_scores) {
  if (masks.empty() || !masks[0].defined()) return {};
  std::vector<Tensor> out{masks[0]};
  if (with_scores) out.emplace_back();
  return out;
}

}  // namespace strata::attention_masks
