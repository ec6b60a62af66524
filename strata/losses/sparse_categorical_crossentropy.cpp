#include "strata/losses/sparse_categorical_crossentropy.hpp"

#include <vector>

#include "strata/autodiff/ops.hpp"
#include "strata/losses/loss_utils.hpp"

namespace strata {

using namespace loss_detail;

SparseCategoricalCrossentropy::SparseCategoricalCrossentropy(
    SparseCategoricalCrossentropyOptions options)
    : options_(options) {
  check_axis(class_name(), options_.axis);
}

Tensor SparseCategoricalCrossentropy::operator()(const Tensor& y_true, const Tensor& y_pred) const {
  check_inputs(class_name(), y_true, y_pred);
  const Shape& ps = y_pred.shape();
  Shape label_shape;  // y_pred's shape without the class axis
  for (int i = 0; i + 1 < ps.rank(); ++i) label_shape.push_back(ps[i]);
  Shape with_one = label_shape;
  with_one.push_back(1);
  if (ps.rank() < 1 || (y_true.shape() != label_shape && y_true.shape() != with_one))
    fail_shapes(class_name(),
                "y_true must hold one class index per row of y_pred, shaped like y_pred without "
                "its last axis (or with it set to 1)",
                y_true, y_pred);
  const int64_t classes = ps.dim(-1);
  const int64_t rows = y_pred.numel() / classes;
  const Shape matrix{rows, classes};

  Tensor z = options_.from_logits ? ops::reshape(y_pred, matrix)
                                  : recorded_logits(y_pred, "softmax", matrix);
  Tensor log_p;
  if (z.defined()) {
    log_p = ops::log_softmax(z, -1);
  } else {
    Tensor p = ops::reshape(y_pred, matrix);
    Tensor q = ops::div(p, ops::sum(p, {-1}, true));
    log_p = ops::log(ops::clip(q, kEpsilon, 1.f - kEpsilon));
  }

  Tensor labels = ops::reshape(y_true, Shape{rows});
  Tensor target;
  float scale = -1.f / static_cast<float>(rows);
  if (options_.ignore_class) {
    // Ignored rows get an all-zero target row: their loss and gradient are exactly 0, and the
    // mean divides by the valid rows only (Keras' mask reduction; divide_no_nan when none).
    std::vector<float> host = labels.to_vector<float>();
    std::vector<float> valid(host.size());
    int64_t count = 0;
    for (size_t i = 0; i < host.size(); ++i) {
      valid[i] = host[i] != static_cast<float>(*options_.ignore_class) ? 1.f : 0.f;
      if (valid[i] == 0.f) host[i] = 0.f;
      count += valid[i] != 0.f;
    }
    Tensor clean = Tensor::from_vector(Shape{rows}, host, y_true.backend());
    target = with_context(class_name(), [&] { return ops::one_hot(clean, classes); });
    target = ops::mul(target, Tensor::from_vector(Shape{rows, 1}, valid, y_true.backend()));
    scale = count > 0 ? -1.f / static_cast<float>(count) : 0.f;
  } else {
    target = with_context(class_name(), [&] { return ops::one_hot(labels, classes); });
  }
  return ops::affine(ops::sum(ops::mul(target, log_p)), scale, 0.f);
}

nlohmann::json SparseCategoricalCrossentropy::get_config() const {
  nlohmann::json c = base_config(name());
  c["from_logits"] = options_.from_logits;
  c["ignore_class"] =
      options_.ignore_class ? nlohmann::json(*options_.ignore_class) : nlohmann::json(nullptr);
  c["axis"] = options_.axis;
  return c;
}

}  // namespace strata
