#include "strata/layers/dot.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

std::string axes_str(const std::vector<int>& axes) {
  if (axes.size() == 1) return std::to_string(axes[0]);
  std::string s = "(";
  for (size_t i = 0; i < axes.size(); ++i) s += (i ? ", " : "") + std::to_string(axes[i]);
  return s + ")";
}

// x / sqrt(max(Σ x², eps²)) along `axis`, Keras' normalize (eps = 1e-7).
Tensor l2_normalize(const Tensor& x, int axis) {
  Tensor ss = ops::sum(ops::square(x), {axis}, /*keepdims=*/true);
  return ops::div(x, ops::sqrt(ops::clip(ss, 1e-14f, 3.4e38f)));
}

// The permutation that moves axis `from` of a rank-r tensor to position `to`, others in order.
std::vector<int> move_axis(int r, int from, int to) {
  std::vector<int> perm;
  for (int d = 0; d < r; ++d)
    if (d != from) perm.push_back(d);
  perm.insert(perm.begin() + to, from);
  return perm;
}

Tensor permuted(const Tensor& x, const std::vector<int>& perm) {
  for (int d = 0; d < static_cast<int>(perm.size()); ++d)
    if (perm[d] != d) return ops::transpose(x, perm);
  return x;
}

}  // namespace

Dot::Dot(DotOptions o) : Merge("Dot", o.name, 2, 2), o_(std::move(o)) {
  if (o_.axes.empty() || o_.axes.size() > 2)
    throw ValueError(label() + ": axes must be one int or a pair of ints, got " +
                     std::to_string(o_.axes.size()) + " values");
}

std::pair<int, int> Dot::resolve_axes(const Shape& a, const Shape& b) const {
  const int given[2] = {o_.axes[0], o_.axes.size() == 2 ? o_.axes[1] : o_.axes[0]};
  const Shape* shapes[2] = {&a, &b};
  int out[2];
  for (int i = 0; i < 2; ++i) {
    const int r = shapes[i]->rank();
    if (r < 2)
      throw ValueError(label() + ": inputs need a dimension besides the batch one, got " +
                       shapes_str({a, b}));
    const int ax = given[i] < 0 ? given[i] + r : given[i];
    if (ax < 0 || ax >= r)
      throw ValueError(label() + ": axes " + axes_str(o_.axes) +
                       " are out of range for inputs of shapes " + shapes_str({a, b}));
    if (ax == 0)
      throw ValueError(label() + ": axes " + axes_str(o_.axes) +
                       " name the batch axis, which cannot be contracted (shapes " +
                       shapes_str({a, b}) + ")");
    out[i] = ax;
  }
  if (a[out[0]] != b[out[1]])
    throw ValueError(label() + ": inputs must have equal dimensions along axes " +
                     axes_str(o_.axes) + ", got " + shapes_str({a, b}));
  return {out[0], out[1]};
}

Shape Dot::merged_shape(const std::vector<Shape>& inputs) const {
  const Shape& a = inputs[0];
  const Shape& b = inputs[1];
  auto [ax, bx] = resolve_axes(a, b);
  Shape out;
  for (int d = 0; d < a.rank(); ++d)
    if (d != ax) out.push_back(a[d]);
  for (int d = 1; d < b.rank(); ++d)
    if (d != bx) out.push_back(b[d]);
  if (out.rank() == 1) out.push_back(1);
  return out;
}

Tensor Dot::merge(const std::vector<Tensor>& inputs, bool) {
  Tensor a = inputs[0], b = inputs[1];
  auto [ax, bx] = resolve_axes(a.shape(), b.shape());
  if (o_.normalize) {
    a = l2_normalize(a, ax);
    b = l2_normalize(b, bx);
  }
  const int64_t n = a.dim(0), k = a.shape()[ax];
  // a -> (N, Pa, K), b -> (N, K, Pb): one batched product, then the dims back out.
  Tensor a3 = ops::reshape(permuted(a, move_axis(a.rank(), ax, a.rank() - 1)), Shape{n, -1, k});
  Tensor b3 = ops::reshape(permuted(b, move_axis(b.rank(), bx, 1)), Shape{n, k, -1});
  Shape out = merged_shape({a.shape(), b.shape()});
  out[0] = n;
  return ops::reshape(ops::matmul(a3, b3), out);
}

nlohmann::json Dot::get_config() const {
  auto c = Layer::get_config();
  if (o_.axes.size() == 1) c["axes"] = o_.axes[0];
  else c["axes"] = o_.axes;
  c["normalize"] = o_.normalize;
  return c;
}

std::shared_ptr<Dot> Dot::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Dot");
  DotOptions o;
  // Keras writes an int or a list of two ints (a tuple in Python).
  if (r.has("axes") && r.raw().at("axes").is_array()) {
    o.axes = r.get<std::vector<int>>("axes");
    if (o.axes.size() != 2) r.fail("'axes' must be an int or a list of two ints, got " +
                                   r.raw().at("axes").dump());
  } else {
    o.axes = {r.get<int>("axes")};
  }
  o.normalize = r.get_or<bool>("normalize", false);
  o.name = r.name();
  auto layer = std::make_shared<Dot>(std::move(o));
  layer->set_trainable(r.trainable());
  return layer;
}

}  // namespace strata
