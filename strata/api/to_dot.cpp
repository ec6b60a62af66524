// Model::to_dot: the Graphviz description keras.utils.plot_model draws, in the record-shaped
// style of Keras 2's model_to_dot, so `dot -Tpng` renders it without Strata needing Graphviz.
//
//   digraph G {
//     rankdir=TB;
//     node [shape=record];
//     input_layer [label="{input_layer: InputLayer|{input:|output:}|{(None, 784)|(None, 784)}}"];
//     dense [label="{dense: Dense|{input:|output:}|{(None, 784)|(None, 64)}}"];
//     input_layer -> dense;
//   }
//
// One node per layer: its id is the layer name made a plain DOT identifier (characters other
// than letters, digits and '_' become '_'; a leading digit or a DOT keyword gets a '_' in front;
// a clash gets "_2", "_3", ...). Labels escape what records and quoted strings treat specially.
// One edge per distinct (producer, consumer) pair, as plot_model. Shapes are those of the layer's
// first call in the model: a layer with several inputs or outputs lists them as
// "[(None, 3), (None, 5)]"; an InputLayer's input is its output.
//
// With expand_nested, a nested model is a `subgraph cluster_<id>` holding its own layers and
// edges (recursively); an edge into it goes to the InputLayer that receives that input (the first
// layer of a Sequential without Input), an edge out of it leaves from the layer producing that
// output.
#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "strata/api/model.hpp"
#include "strata/api/sequential.hpp"
#include "strata/core/error.hpp"
#include "strata/functional/graph_node.hpp"

namespace strata {

namespace {

// Text inside a double-quoted record label: escapes the record separators { } | < >, the
// backslash and the quote.
std::string escape_record(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (std::string_view("{}|<>\\\"").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// Text of a plain double-quoted string (a cluster's label): escapes the backslash and the quote.
std::string escape_string(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '\\' || c == '"') out += '\\';
    out += c;
  }
  return out;
}

// Wraps an escaped label in quotes; a label ending in an escaped backslash gets a trailing space
// so that Graphviz' scanner does not read `\"` as an escaped quote.
std::string quoted(std::string escaped) {
  if (!escaped.empty() && escaped.back() == '\\') escaped += ' ';
  return "\"" + escaped + "\"";
}

std::string shapes_str(const std::vector<Shape>& shapes) {
  if (shapes.empty()) return "?";
  if (shapes.size() == 1) return shapes[0].str();
  std::string s = "[";
  for (size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + shapes[i].str();
  return s + "]";
}

bool is_dot_keyword(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s == "node" || s == "edge" || s == "graph" || s == "digraph" || s == "subgraph" ||
         s == "strict";
}

class DotWriter {
 public:
  explicit DotWriter(const GraphvizOptions& o) : options_(o) {}

  std::string write(const Model& model) {
    out_ << "digraph G {\n";
    out_ << "  rankdir=" << options_.rankdir << ";\n";
    out_ << "  node [shape=record];\n";
    write_model(model, 1);
    out_ << "}\n";
    return out_.str();
  }

 private:
  const GraphvizOptions& options_;
  std::ostringstream out_;
  std::unordered_map<const Layer*, std::string> ids_;
  std::set<std::string> used_ids_;
  std::set<std::pair<std::string, std::string>> edges_;

  std::string id_of(const Layer& layer) {
    auto it = ids_.find(&layer);
    if (it != ids_.end()) return it->second;
    std::string base;
    for (unsigned char c : layer.name()) base += std::isalnum(c) || c == '_' ? char(c) : '_';
    if (base.empty() || std::isdigit(static_cast<unsigned char>(base[0])) || is_dot_keyword(base))
      base = "_" + base;
    std::string id = base;
    for (int k = 2; used_ids_.count(id); ++k)
      id = base + "_" + std::to_string(k);
    used_ids_.insert(id);
    ids_[&layer] = id;
    return id;
  }

  // A nested model drawn as a cluster of its layers.
  const Model* expanded(const Layer& layer) const {
    if (!options_.expand_nested) return nullptr;
    const auto* m = dynamic_cast<const Model*>(&layer);
    return m && !m->layers().empty() ? m : nullptr;
  }

  // The layers a model draws: its graph's, in call order (a Sequential's InputLayer included),
  // or a Sequential's list when it has no graph.
  static std::vector<LayerPtr> drawn_layers(const Model& model,
                                            const std::vector<std::shared_ptr<GraphNode>>& nodes) {
    if (nodes.empty()) return model.layers();
    std::vector<LayerPtr> out;
    for (const auto& n : nodes)
      if (std::find(out.begin(), out.end(), n->layer) == out.end()) out.push_back(n->layer);
    return out;
  }

  // The node an edge carrying output `index` of `layer` leaves from.
  std::string output_source(const Layer& layer, int index) {
    if (const Model* m = expanded(layer)) {
      if (m->graph_nodes().empty()) return output_source(*m->layers().back(), index);
      const auto outs = m->outputs();
      const SymbolicTensor& t = outs[std::min<size_t>(static_cast<size_t>(index), outs.size() - 1)];
      return output_source(*t.layer(), t.index());
    }
    return id_of(layer);
  }

  // The node an edge into input `position` of `layer` arrives at.
  std::string input_target(const Layer& layer, size_t position) {
    if (const Model* m = expanded(layer)) {
      if (m->graph_nodes().empty()) return input_target(*m->layers().front(), position);
      const auto ins = m->inputs();
      return input_target(*ins[std::min(position, ins.size() - 1)].layer(), 0);
    }
    return id_of(layer);
  }

  std::string title(const Layer& layer) const {
    return options_.show_layer_names ? layer.name() + ": " + layer.class_name() : layer.class_name();
  }

  std::string label(const Layer& layer, const std::vector<std::shared_ptr<GraphNode>>& nodes) const {
    const std::string name = escape_record(title(layer));
    if (!options_.show_shapes) return quoted(name);
    std::string in = "?", out = "?";
    std::shared_ptr<GraphNode> call;
    for (const auto& n : nodes)
      if (n->layer.get() == &layer) {
        call = n;
        break;
      }
    if (call) {
      out = shapes_str(call->output_shapes);
      std::vector<Shape> ins;
      for (const auto& t : call->inputs) ins.push_back(t.shape());
      in = ins.empty() ? out : shapes_str(ins);
    } else if (layer.built()) {
      try {
        in = layer.input_shape().str();
        out = layer.output_shape().str();
      } catch (const ValueError&) {
      }
    }
    return quoted("{" + name + "|{input:|output:}|{" + escape_record(in) + "|" +
                  escape_record(out) + "}}");
  }

  void edge(const std::string& from, const std::string& to, const std::string& indent) {
    if (!edges_.insert({from, to}).second) return;
    out_ << indent << from << " -> " << to << ";\n";
  }

  void write_model(const Model& model, int level) {
    const std::string indent(2 * static_cast<size_t>(level), ' ');
    const auto nodes = model.graph_nodes();
    const auto layers = drawn_layers(model, nodes);
    for (const auto& layer : layers) {
      if (const Model* m = expanded(*layer)) {
        out_ << indent << "subgraph cluster_" << id_of(*layer) << " {\n";
        out_ << indent << "  label=" << quoted(escape_string(title(*layer))) << ";\n";
        write_model(*m, level + 1);
        out_ << indent << "}\n";
      } else {
        out_ << indent << id_of(*layer) << " [label=" << label(*layer, nodes) << "];\n";
      }
    }
    if (nodes.empty()) {
      for (size_t i = 0; i + 1 < layers.size(); ++i)
        edge(output_source(*layers[i], 0), input_target(*layers[i + 1], 0), indent);
      return;
    }
    for (const auto& n : nodes)
      for (size_t p = 0; p < n->inputs.size(); ++p) {
        const SymbolicTensor& t = n->inputs[p];
        edge(output_source(*t.layer(), t.index()), input_target(*n->layer, p), indent);
      }
  }
};

}  // namespace

std::string Model::to_dot(GraphvizOptions options) const {
  const std::string& r = options.rankdir;
  if (r != "TB" && r != "LR" && r != "BT" && r != "RL")
    throw ValueError("to_dot: rankdir must be one of \"TB\", \"LR\", \"BT\", \"RL\"; got \"" + r +
                     "\"");
  return DotWriter(options).write(*this);
}

}  // namespace strata
