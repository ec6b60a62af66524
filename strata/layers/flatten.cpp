#include "strata/layers/flatten.hpp"

#include "strata/autodiff/ops.hpp"
#include "strata/core/error.hpp"
#include "strata/serialization/config_reader.hpp"

namespace strata {

Shape Flatten::compute_output_shape(const Shape& in) const {
  for (int d = 1; d < in.rank(); ++d)
    if (in[d] < 0)
      throw ValueError(label() + ": cannot flatten input " + in.str() +
                       ": a dimension after the batch varies (None), so the output size is unknown");
  return Shape{in[0], in.rank() == 1 ? 1 : in.drop_front().numel()};
}

Tensor Flatten::call(const Tensor& x, bool) { return ops::flatten(x); }

nlohmann::json Flatten::get_config() const {
  auto c = Layer::get_config();
  c["data_format"] = "channels_last";
  return c;
}

std::shared_ptr<Flatten> Flatten::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Flatten");
  // Keras' channels_first Flatten moves the channels last before flattening; this layer only
  // flattens in channels-last order, so accepting it would silently reorder the features.
  const std::string data_format = r.get_or<std::string>("data_format", "channels_last");
  if (data_format != "channels_last")
    r.fail("'data_format' must be \"channels_last\" (channels_first is not supported), got \"" +
           data_format + "\"");
  return std::make_shared<Flatten>(FlattenOptions{r.name()});
}

}  // namespace strata
