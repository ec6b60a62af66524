#include "strata/serialization/builtin_layers.hpp"

#include "strata/layers/activation.hpp"
#include "strata/layers/activation_layers.hpp"
#include "strata/layers/attention.hpp"
#include "strata/layers/batch_normalization.hpp"
#include "strata/layers/bidirectional.hpp"
#include "strata/layers/concatenate.hpp"
#include "strata/layers/conv.hpp"
#include "strata/layers/conv_transpose.hpp"
#include "strata/layers/cropping2d.hpp"
#include "strata/layers/dense.hpp"
#include "strata/layers/depthwise_conv.hpp"
#include "strata/layers/dot.hpp"
#include "strata/layers/dropout.hpp"
#include "strata/layers/embedding.hpp"
#include "strata/layers/flatten.hpp"
#include "strata/layers/global_pooling.hpp"
#include "strata/layers/image_augmentation.hpp"
#include "strata/layers/input_layer.hpp"
#include "strata/layers/layer_normalization.hpp"
#include "strata/layers/masking.hpp"
#include "strata/layers/merge.hpp"
#include "strata/layers/multi_head_attention.hpp"
#include "strata/layers/normalization.hpp"
#include "strata/layers/permute.hpp"
#include "strata/layers/pooling.hpp"
#include "strata/layers/position_embedding.hpp"
#include "strata/layers/prelu.hpp"
#include "strata/layers/recurrent.hpp"
#include "strata/layers/repeat_vector.hpp"
#include "strata/layers/rescaling.hpp"
#include "strata/layers/reshape.hpp"
#include "strata/layers/spatial_dropout.hpp"
#include "strata/layers/thresholded_relu.hpp"
#include "strata/layers/time_distributed.hpp"
#include "strata/layers/up_sampling2d.hpp"
#include "strata/layers/zero_padding2d.hpp"

namespace strata {

namespace {

template <class L>
void add(std::map<std::string, LayerFactory>& t, const char* name) {
  t[name] = [](const nlohmann::json& c) -> LayerPtr { return L::from_config(c); };
}

}  // namespace

void register_builtin_layers(std::map<std::string, LayerFactory>& t) {
  add<InputLayer>(t, "InputLayer");
  add<Dense>(t, "Dense");
  add<Activation>(t, "Activation");
  add<Flatten>(t, "Flatten");
  add<Reshape>(t, "Reshape");
  add<Dropout>(t, "Dropout");
  add<ReLU>(t, "ReLU");
  add<LeakyReLU>(t, "LeakyReLU");
  add<Softmax>(t, "Softmax");
  add<ELU>(t, "ELU");
  add<PReLU>(t, "PReLU");
  add<ThresholdedReLU>(t, "ThresholdedReLU");
  add<Conv1D>(t, "Conv1D");
  add<Conv2D>(t, "Conv2D");
  add<Conv2DTranspose>(t, "Conv2DTranspose");
  add<DepthwiseConv2D>(t, "DepthwiseConv2D");
  add<SeparableConv2D>(t, "SeparableConv2D");
  add<MaxPooling1D>(t, "MaxPooling1D");
  add<MaxPooling2D>(t, "MaxPooling2D");
  add<AveragePooling1D>(t, "AveragePooling1D");
  add<AveragePooling2D>(t, "AveragePooling2D");
  add<GlobalAveragePooling1D>(t, "GlobalAveragePooling1D");
  add<GlobalAveragePooling2D>(t, "GlobalAveragePooling2D");
  add<GlobalMaxPooling1D>(t, "GlobalMaxPooling1D");
  add<GlobalMaxPooling2D>(t, "GlobalMaxPooling2D");
  add<BatchNormalization>(t, "BatchNormalization");
  add<LayerNormalization>(t, "LayerNormalization");
  add<ZeroPadding2D>(t, "ZeroPadding2D");
  add<Cropping2D>(t, "Cropping2D");
  add<UpSampling2D>(t, "UpSampling2D");
  add<SpatialDropout1D>(t, "SpatialDropout1D");
  add<SpatialDropout2D>(t, "SpatialDropout2D");
  add<Rescaling>(t, "Rescaling");
  add<Normalization>(t, "Normalization");
  add<RandomFlip>(t, "RandomFlip");
  add<RandomTranslation>(t, "RandomTranslation");
  add<RandomRotation>(t, "RandomRotation");
  add<RandomZoom>(t, "RandomZoom");
  add<Add>(t, "Add");
  add<Subtract>(t, "Subtract");
  add<Multiply>(t, "Multiply");
  add<Average>(t, "Average");
  add<Maximum>(t, "Maximum");
  add<Minimum>(t, "Minimum");
  add<Concatenate>(t, "Concatenate");
  add<Dot>(t, "Dot");
  add<Embedding>(t, "Embedding");
  add<Masking>(t, "Masking");
  add<RepeatVector>(t, "RepeatVector");
  add<Permute>(t, "Permute");
  add<TimeDistributed>(t, "TimeDistributed");
  add<MultiHeadAttention>(t, "MultiHeadAttention");
  add<Attention>(t, "Attention");
  add<AdditiveAttention>(t, "AdditiveAttention");
  add<SimpleRNN>(t, "SimpleRNN");
  add<LSTM>(t, "LSTM");
  add<GRU>(t, "GRU");
  add<Bidirectional>(t, "Bidirectional");
  add<PositionEmbedding>(t, "PositionEmbedding");
  // Older Keras spellings of the same classes.
  t["MaxPool2D"] = t["MaxPooling2D"];
  t["AvgPool2D"] = t["AveragePooling2D"];
  t["Convolution2D"] = t["Conv2D"];
  t["Convolution1D"] = t["Conv1D"];
}

}  // namespace strata
