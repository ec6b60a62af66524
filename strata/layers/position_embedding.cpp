#include "strata/layers/position_embedding.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

PositionEmbedding::PositionEmbedding(PositionEmbeddingOptions o)
    : Layer("PositionEmbedding", o.name), o_(std::move(o)) {
  if (o_.sequence_length <= 0)
    throw ValueError(label() + ": sequence_length must be a positive integer, got " +
                     std::to_string(o_.sequence_length));
  try {
    o_.initializer.resolve();
  } catch (const ValueError& e) {
    throw ValueError(label() + ": " + e.what());
  }
}

Shape PositionEmbedding::compute_output_shape(const Shape& in) const {
  if (in.rank() != 3)
    throw ValueError(label() + ": expected input of rank 3 (batch, sequence, features), got " +
                     in.str());
  if (in[1] > o_.sequence_length)
    throw ValueError(label() + ": input sequence length " + std::to_string(in[1]) +
                     " exceeds sequence_length=" + std::to_string(o_.sequence_length) +
                     " (input " + in.str() + ")");
  return in;
}

void PositionEmbedding::check_input(const Shape& shape) const {
  compute_output_shape(shape);
  const int64_t features = input_shape()[2];
  if (shape[2] != features)
    throw ValueError(label() + ": expected input with last dimension " +
                     std::to_string(features) + ", got " + shape.str());
}

void PositionEmbedding::build_weights(const Shape& in) {
  embeddings_ = add_weight("embeddings", Shape{o_.sequence_length, in[2]}, o_.initializer);
}

Tensor PositionEmbedding::call(const Tensor& x, bool) {
  const int64_t t = x.dim(1), d = x.dim(2);
  Tensor rows =
      t == o_.sequence_length ? embeddings_ : ops::crop(embeddings_, Shape{t, d}, {0, 0});
  return ops::broadcast_to(ops::reshape(rows, Shape{1, t, d}), x.shape());
}

nlohmann::json PositionEmbedding::get_config() const {
  auto c = Layer::get_config();
  c["sequence_length"] = o_.sequence_length;
  c["initializer"] = initializer_config(o_.initializer);
  return c;
}

std::shared_ptr<PositionEmbedding> PositionEmbedding::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "PositionEmbedding");
  PositionEmbeddingOptions o;
  o.sequence_length = r.get<int64_t>("sequence_length");
  o.initializer = r.initializer("initializer", "glorot_uniform");
  o.name = r.name();
  return std::make_shared<PositionEmbedding>(std::move(o));
}

}  // namespace strata
