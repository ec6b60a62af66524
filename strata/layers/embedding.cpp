#include "strata/layers/embedding.hpp"

#include <cmath>

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/layers/masks.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

namespace {

// The first id outside [0, dim) as (position, value), or position -1.
template <class T>
std::pair<int64_t, int64_t> first_bad_id(const std::vector<T>& ids, int64_t dim) {
  for (size_t i = 0; i < ids.size(); ++i)
    if (ids[i] < 0 || static_cast<int64_t>(ids[i]) >= dim)
      return {static_cast<int64_t>(i), static_cast<int64_t>(ids[i])};
  return {-1, 0};
}

// "(1, 3)" for flat position 7 of shape (2, 4).
std::string position_str(int64_t flat, const Shape& shape) {
  std::vector<int64_t> coords(static_cast<size_t>(shape.rank()));
  for (int d = shape.rank() - 1; d >= 0; --d) {
    coords[static_cast<size_t>(d)] = flat % shape[d];
    flat /= shape[d];
  }
  std::string s = "(";
  for (size_t i = 0; i < coords.size(); ++i) s += (i ? ", " : "") + std::to_string(coords[i]);
  return s + ")";
}

}  // namespace

Embedding::Embedding(EmbeddingOptions o) : Layer("Embedding", o.name), o_(std::move(o)) {
  if (o_.input_dim <= 0)
    throw ValueError(label() + ": input_dim must be a positive integer, got " +
                     std::to_string(o_.input_dim));
  if (o_.output_dim <= 0)
    throw ValueError(label() + ": output_dim must be a positive integer, got " +
                     std::to_string(o_.output_dim));
}

Shape Embedding::compute_output_shape(const Shape& in) const {
  if (in.rank() < 2)
    throw ValueError(label() + ": expected input of rank >= 2 (batch, ...) of token ids, got " +
                     in.str());
  Shape out = in;
  out.push_back(o_.output_dim);
  return out;
}

void Embedding::build_weights(const Shape&) {
  embeddings_ =
      add_weight("embeddings", Shape{o_.input_dim, o_.output_dim}, o_.embeddings_initializer);
}

Tensor Embedding::call(const Tensor& in, bool) {
  Tensor x = in;
  if (x.dtype() == DType::float32) {
    // Models saved by Keras 2 usually feed ids through a float32 Input (Keras casts inside the
    // layer); whole numbers are accepted, anything else is refused rather than truncated.
    const auto v = x.to_vector<float>();
    std::vector<int32_t> ids(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] != std::floor(v[i]) || std::fabs(v[i]) > 2e9f)
        throw ValueError(label() + ": token id " + std::to_string(v[i]) + " at position " +
                         position_str(static_cast<int64_t>(i), x.shape()) + " of the input " +
                         x.shape().str() + " is not a whole number");
      ids[i] = static_cast<int32_t>(v[i]);
    }
    x = Tensor::from_vector(x.shape(), ids, x.backend());
  }
  if (x.dtype() != DType::int32 && x.dtype() != DType::int64)
    throw ValueError(label() + ": expects int32 or int64 token ids (or whole-number float32), got " +
                     dtype_name(x.dtype()) + " of shape " + x.shape().str());
  // Checked on the host first so the message can name the position in the input's shape.
  const auto [pos, value] = x.dtype() == DType::int32
                                ? first_bad_id(x.to_vector<int32_t>(), o_.input_dim)
                                : first_bad_id(x.to_vector<int64_t>(), o_.input_dim);
  if (pos >= 0)
    throw ValueError(label() + ": index " + std::to_string(value) + " at position " +
                     position_str(pos, x.shape()) + " of the input " + x.shape().str() +
                     " is out of range [0, " + std::to_string(o_.input_dim) + ")");
  return ops::embedding_lookup(embeddings_, x);
}

std::vector<Tensor> Embedding::compute_mask(const std::vector<Tensor>& inputs,
                                            const std::vector<Tensor>&) const {
  if (!o_.mask_zero || inputs.empty()) return {};
  return {masks::not_equal(inputs[0], 0.0, /*reduce_last_axis=*/false)};
}

nlohmann::json Embedding::get_config() const {
  auto c = Layer::get_config();
  c["input_dim"] = o_.input_dim;
  c["output_dim"] = o_.output_dim;
  c["embeddings_initializer"] = initializer_config(o_.embeddings_initializer);
  c["embeddings_regularizer"] = nullptr;
  c["activity_regularizer"] = nullptr;
  c["embeddings_constraint"] = nullptr;
  c["mask_zero"] = o_.mask_zero;
  return c;
}

std::shared_ptr<Embedding> Embedding::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Embedding");
  r.require_null({"embeddings_regularizer", "activity_regularizer", "embeddings_constraint"});
  EmbeddingOptions o;
  o.input_dim = r.get<int64_t>("input_dim");
  o.output_dim = r.get<int64_t>("output_dim");
  o.embeddings_initializer = r.initializer("embeddings_initializer", "uniform");
  o.mask_zero = r.get_or<bool>("mask_zero", false);
  o.name = r.name();
  return std::make_shared<Embedding>(std::move(o));
}

}  // namespace strata
