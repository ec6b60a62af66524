#include "strata/layers/input_layer.hpp"

#include "strata/core/error.hpp"
#include "strata/functional/graph_node.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

InputLayer::InputLayer(Shape shape, InputOptions o)
    : Layer("InputLayer", o.name), batch_shape_(shape.with_front(-1)), dtype_(o.dtype) {
  if (o.dtype != DType::float32 && o.dtype != DType::int32 && o.dtype != DType::int64)
    throw ValueError(label() + ": dtype " + dtype_name(o.dtype) +
                     " is not supported for inputs; use float32, int32 or int64");
  for (int64_t d : shape)
    if (d <= 0 && d != -1)
      throw ValueError(label() + ": shape dimensions must be positive (or -1 for a size that "
                       "varies, Keras' None), got " + shape.str());
  build(batch_shape_);
}

SymbolicTensor Input(Shape shape, InputOptions o) {
  return call_symbolic(std::make_shared<InputLayer>(shape, std::move(o)), {})[0];
}

Tensor InputLayer::call(const Tensor& x, bool) { return x; }

nlohmann::json InputLayer::get_config() const {
  nlohmann::json c;
  // batch_input_shape rather than Keras 3's batch_shape: tf.keras 2 rejects batch_shape, while
  // Keras 3 still reads batch_input_shape.
  nlohmann::json shape = nlohmann::json::array({nullptr});
  for (int i = 1; i < batch_shape_.rank(); ++i)
    shape.push_back(batch_shape_[i] < 0 ? nlohmann::json(nullptr) : nlohmann::json(batch_shape_[i]));
  c["batch_input_shape"] = std::move(shape);
  c["dtype"] = dtype_name(dtype_);
  c["sparse"] = false;
  c["ragged"] = false;
  c["name"] = name();
  return c;
}

std::shared_ptr<InputLayer> InputLayer::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "InputLayer");
  // Keras 2 writes batch_input_shape, Keras 3 batch_shape (both batch first); input_shape and
  // shape leave the batch out.
  const char* key = nullptr;
  bool batched = true;
  for (const char* k : {"batch_input_shape", "batch_shape"})
    if (!key && r.optional<nlohmann::json>(k)) key = k;
  for (const char* k : {"input_shape", "shape"})
    if (!key && r.optional<nlohmann::json>(k)) key = k, batched = false;
  if (!key) r.fail("missing 'batch_input_shape' (or 'batch_shape', 'input_shape', 'shape')");
  const nlohmann::json& dims = r.raw().at(key);
  if (!dims.is_array() || (batched && dims.empty()))
    r.fail(std::string("'") + key + "' must be a list of dimensions, got " + dims.dump());
  std::vector<int64_t> sample;
  // A fixed batch size (stateful Keras 2 models write one) does not change the sample shape.
  for (size_t i = batched ? 1 : 0; i < dims.size(); ++i) {
    if (dims[i].is_null()) {  // a size that varies from batch to batch (e.g. sequence length)
      sample.push_back(-1);
      continue;
    }
    if (!dims[i].is_number_integer())
      r.fail(std::string("'") + key + "' must hold integer dimensions (or null) after the batch, got " +
             dims.dump());
    sample.push_back(dims[i].get<int64_t>());
  }
  // dtype is a string (Keras 2) or a DTypePolicy object (Keras 3, mixed precision in Keras 2).
  DType input_dtype = DType::float32;
  if (r.optional<nlohmann::json>("dtype")) {
    const nlohmann::json& d = r.raw().at("dtype");
    std::string dtype;
    if (d.is_string()) dtype = d.get<std::string>();
    else if (d.is_object() && d.contains("config") && d["config"].is_object() &&
             d["config"].contains("name") && d["config"]["name"].is_string())
      dtype = d["config"]["name"].get<std::string>();
    else r.fail("'dtype' must be a dtype name or a DTypePolicy, got " + d.dump());
    if (dtype == "int32") input_dtype = DType::int32;
    else if (dtype == "int64") input_dtype = DType::int64;
    else if (dtype != "float32")
      r.fail("'dtype' is " + dtype + ", but only float32, int32 and int64 inputs are supported");
  }
  if (r.get_or<bool>("sparse", false)) r.fail("'sparse' inputs are not supported");
  if (r.get_or<bool>("ragged", false)) r.fail("'ragged' inputs are not supported");
  return std::make_shared<InputLayer>(Shape(sample), InputOptions{r.name(), input_dtype});
}

}  // namespace strata
