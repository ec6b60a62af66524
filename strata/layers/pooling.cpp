#include "strata/layers/pooling.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Pooling::Pooling(std::string class_name, std::string name, PoolKind kind, int spatial,
                 IntPair pool, IntPair strides, std::string padding, std::string data_format)
    : Layer(std::move(class_name), std::move(name)),
      kind_(kind),
      spatial_(spatial),
      pool_(pool),
      strides_(strides),
      padding_(std::move(padding)),
      data_format_(std::move(data_format)) {
  check_positive(label(), "pool_size", pool_, spatial_);
  check_positive(label(), "strides", strides_, spatial_);
  check_padding(label(), padding_, {"valid", "same"});
  check_data_format(label(), data_format_);
}

void Pooling::check_rank(const Shape& in) const {
  if (in.rank() != spatial_ + 2)
    throw ValueError(label() + ": expected input of rank " + std::to_string(spatial_ + 2) +
                     (spatial_ == 1 ? " (batch, steps, channels)" : " (batch, rows, cols, channels)") +
                     ", got " + in.str());
}

WindowParams Pooling::params(const Shape& cl) const {
  // Pooling windows are dense: kernel = pool_size, dilation 1.
  return window_params(label(), cl, spatial_, pool_, strides_, IntPair(1), padding_);
}

Shape Pooling::compute_output_shape(const Shape& in) const {
  check_rank(in);
  const bool first = data_format_ == "channels_first";
  const Shape cl = first ? to_channels_last(in) : in;
  Shape out = window_output_shape(cl, params(cl), pool_, cl[cl.rank() - 1]);
  return first ? to_channels_first(out) : out;
}

Tensor Pooling::call(const Tensor& x, bool) {
  if (data_format_ == "channels_first") {
    Tensor cl = to_channels_last(x);
    return to_channels_first(ops::pool(cl, kind_, params(cl.shape())));
  }
  return ops::pool(x, kind_, params(x.shape()));
}

nlohmann::json Pooling::get_config() const {
  auto c = Layer::get_config();
  c["pool_size"] = pool_.json(spatial_);
  c["padding"] = padding_;
  c["strides"] = strides_.json(spatial_);
  c["data_format"] = data_format_;
  return c;
}

namespace {

IntPair strides_or_pool(const std::optional<int64_t>& s, int64_t pool) { return s ? *s : pool; }
IntPair strides_or_pool(const PoolStrides& s, const IntPair& pool) { return s.v ? *s.v : pool; }

bool given(const ConfigReader& r, const char* key) {
  return r.has(key) && !r.raw().at(key).is_null();
}

// Keras 2 writes 1D sizes as one-element lists ([2]), Keras 3 as ints or lists; strides null
// (Keras' "same as pool_size") is the options' empty strides.
Pooling1DOptions pooling1d_options(const nlohmann::json& config, const char* class_name) {
  ConfigReader r(config, class_name);
  Pooling1DOptions o;
  o.pool_size = r.int_pair("pool_size", 1, IntPair(2))[0];
  if (given(r, "strides")) o.strides = r.int_pair("strides", 1)[0];
  o.padding = r.get_or<std::string>("padding", "valid");
  o.data_format = r.get_or<std::string>("data_format", "channels_last");
  o.name = r.name();
  return o;
}

Pooling2DOptions pooling2d_options(const nlohmann::json& config, const char* class_name) {
  ConfigReader r(config, class_name);
  Pooling2DOptions o;
  o.pool_size = r.int_pair("pool_size", 2, IntPair(2));
  if (given(r, "strides")) o.strides.v = r.int_pair("strides", 2);
  o.padding = r.get_or<std::string>("padding", "valid");
  o.data_format = r.get_or<std::string>("data_format", "channels_last");
  o.name = r.name();
  return o;
}

}  // namespace

MaxPooling1D::MaxPooling1D(Pooling1DOptions o)
    : Pooling("MaxPooling1D", o.name, PoolKind::max, 1, o.pool_size,
              strides_or_pool(o.strides, o.pool_size), o.padding, o.data_format) {}

MaxPooling2D::MaxPooling2D(Pooling2DOptions o)
    : Pooling("MaxPooling2D", o.name, PoolKind::max, 2, o.pool_size,
              strides_or_pool(o.strides, o.pool_size), o.padding, o.data_format) {}

AveragePooling1D::AveragePooling1D(Pooling1DOptions o)
    : Pooling("AveragePooling1D", o.name, PoolKind::average, 1, o.pool_size,
              strides_or_pool(o.strides, o.pool_size), o.padding, o.data_format) {}

AveragePooling2D::AveragePooling2D(Pooling2DOptions o)
    : Pooling("AveragePooling2D", o.name, PoolKind::average, 2, o.pool_size,
              strides_or_pool(o.strides, o.pool_size), o.padding, o.data_format) {}

std::shared_ptr<MaxPooling1D> MaxPooling1D::from_config(const nlohmann::json& config) {
  return std::make_shared<MaxPooling1D>(pooling1d_options(config, "MaxPooling1D"));
}

std::shared_ptr<MaxPooling2D> MaxPooling2D::from_config(const nlohmann::json& config) {
  return std::make_shared<MaxPooling2D>(pooling2d_options(config, "MaxPooling2D"));
}

std::shared_ptr<AveragePooling1D> AveragePooling1D::from_config(const nlohmann::json& config) {
  return std::make_shared<AveragePooling1D>(pooling1d_options(config, "AveragePooling1D"));
}

std::shared_ptr<AveragePooling2D> AveragePooling2D::from_config(const nlohmann::json& config) {
  return std::make_shared<AveragePooling2D>(pooling2d_options(config, "AveragePooling2D"));
}

}  // namespace strata
