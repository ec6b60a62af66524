// Model::summary_string: Keras 3's summary table, box-drawn as its `rich` output (print_summary in
// keras/src/utils/summary_utils.py), then the totals with their memory size.
//
// A Sequential prints the columns Layer (type) / Output Shape / Param #; a Functional model adds
// "Connected to": the tensors each layer call consumes, as `producer[node_index][tensor_index]`,
// where node_index counts the producer's calls (Layer::inbound_nodes()) and tensor_index picks
// one of that call's outputs. A shared layer is one row listing the inputs of all its calls in the
// model. Keras joins them with ", " and lets the column wrap; here each goes on its own line
// (with the same trailing commas), which is what Keras shows once the column wraps.
//
// Differences from Keras, on purpose: columns widen to fit their longest cell instead of wrapping
// it (the minimum widths are Keras' defaults for a 108-column Functional table and the existing
// Sequential ones); a Functional model always gets "Connected to", even a plain chain, which Keras
// prints in the Sequential layout; and rows expanded from a nested model (expand_nested, prefixed
// with "   └ " per level as in Keras 3) list the connections inside that nested model, where Keras
// prints "-".
#include <algorithm>
#include <cstdio>
#include <sstream>

#include "strata/api/model.hpp"
#include "strata/api/sequential.hpp"
#include "strata/core/error.hpp"
#include "strata/functional/graph_node.hpp"

namespace strata {

namespace {

std::string with_commas(int64_t n) {
  const std::string digits = std::to_string(n < 0 ? -n : n);
  std::string s = n < 0 ? "-" : "";
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) s += ',';
    s += digits[i];
  }
  return s;
}

// Keras' readable_memory_size: powers of 1024, two decimals.
std::string memory_size(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1024 && u < 4) bytes /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f %s", bytes, units[u]);
  return buf;
}

// Display columns of UTF-8 text (box characters are multi-byte but one column).
size_t columns(const std::string& s) {
  size_t cols = 0;
  for (unsigned char c : s) cols += (c & 0xC0) != 0x80;
  return cols;
}

enum class Align { left, right, center };

std::string pad_to(const std::string& s, size_t width, Align align) {
  const size_t cols = columns(s);
  const size_t pad = width > cols ? width - cols : 0;
  switch (align) {
    case Align::left: return s + std::string(pad, ' ');
    case Align::right: return std::string(pad, ' ') + s;
    case Align::center: return std::string(pad / 2, ' ') + s + std::string(pad - pad / 2, ' ');
  }
  return s;
}

std::string repeat(const char* s, size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

struct Column {
  std::string header;
  size_t min_width;
  Align align;
};

// One table row: per column, its lines (a cell may span several).
using Row = std::vector<std::vector<std::string>>;

// The box-drawn table of Keras 3's summary: heavy header, a light rule between rows.
std::string render_table(const std::vector<Column>& cols, const std::vector<Row>& rows) {
  std::vector<size_t> w;
  for (const auto& c : cols) w.push_back(std::max(c.min_width, columns(c.header)));
  for (const auto& r : rows)
    for (size_t i = 0; i < cols.size(); ++i)
      for (const auto& line : r[i]) w[i] = std::max(w[i], columns(line));
  auto rule = [&](const char* l, const char* m, const char* r, const char* h) {
    std::string s = l;
    for (size_t i = 0; i < w.size(); ++i) s += repeat(h, w[i] + 2) + (i + 1 < w.size() ? m : r);
    return s + "\n";
  };
  auto line = [&](const char* bar, const std::vector<std::string>& cells) {
    std::string s = bar;
    for (size_t i = 0; i < w.size(); ++i) {
      s += ' ';
      s += pad_to(cells[i], w[i], cols[i].align);
      s += ' ';
      s += bar;
    }
    s += '\n';
    return s;
  };
  std::string out = rule("┏", "┳", "┓", "━");
  std::vector<std::string> header;
  for (const auto& c : cols) header.push_back(c.header);
  out += line("┃", header);
  out += rule("┡", "╇", "┩", "━");
  for (size_t k = 0; k < rows.size(); ++k) {
    size_t height = 1;
    for (const auto& cell : rows[k]) height = std::max(height, cell.size());
    for (size_t j = 0; j < height; ++j) {
      std::vector<std::string> cells;
      for (const auto& cell : rows[k]) cells.push_back(j < cell.size() ? cell[j] : "");
      out += line("│", cells);
    }
    if (k + 1 < rows.size()) out += rule("├", "┼", "┤", "─");
  }
  out += rule("└", "┴", "┘", "─");
  return out;
}

// "(None, 3)" for one shape, "[(None, 3), (None, 2)]" for several (Keras' str of a list).
std::string shapes_str(const std::vector<Shape>& shapes) {
  if (shapes.size() == 1) return shapes[0].str();
  std::string s = "[";
  for (size_t i = 0; i < shapes.size(); ++i) s += (i ? ", " : "") + shapes[i].str();
  return s + "]";
}

bool contains(const std::vector<std::shared_ptr<GraphNode>>& nodes, const GraphNode* n) {
  for (const auto& m : nodes)
    if (m.get() == n) return true;
  return false;
}

// The summary rows of one model's layers (and, with expand_nested, of its nested models').
struct SummaryRows {
  bool connections;  // a "Connected to" column
  bool show_trainable;
  bool expand_nested;
  std::vector<Row> rows;

  void add_model(const Model& model, int level) {
    const auto nodes = model.graph_nodes();
    for (const auto& layer : model.layers()) add_layer(*layer, nodes, level);
  }

  void add_layer(const Layer& layer, const std::vector<std::shared_ptr<GraphNode>>& model_nodes,
                 int level) {
    const std::string prefix = level ? repeat(" ", 3 * static_cast<size_t>(level)) + "└ " : "";
    // The layer's calls that belong to this model, oldest first.
    std::vector<std::shared_ptr<GraphNode>> calls;
    for (const auto& n : layer.inbound_nodes())
      if (contains(model_nodes, n.get())) calls.push_back(n);

    Row row;
    row.push_back({prefix + layer.name() + " (" + layer.class_name() + ")"});
    std::string shape = "?";
    if (!calls.empty()) shape = shapes_str(calls[0]->output_shapes);
    else if (layer.built()) shape = layer.output_shape().str();
    row.push_back({shape});
    row.push_back({layer.built() ? with_commas(layer.count_params()) : "0 (unbuilt)"});
    if (connections) {
      std::vector<std::string> from;
      for (const auto& call : calls)
        for (const auto& t : call->inputs) {
          const auto producer_calls = t.layer()->inbound_nodes();
          size_t node_index = 0;
          while (node_index < producer_calls.size() && producer_calls[node_index] != t.node())
            ++node_index;
          from.push_back(t.layer()->name() + "[" + std::to_string(node_index) + "][" +
                         std::to_string(t.index()) + "]");
        }
      for (size_t i = 0; i + 1 < from.size(); ++i) from[i] += ",";
      if (from.empty()) from.push_back("-");
      row.push_back(from);
    }
    if (show_trainable)
      row.push_back({layer.weights().empty() ? "-" : layer.trainable() ? "Y" : "N"});
    rows.push_back(std::move(row));

    if (expand_nested)
      if (const auto* nested = dynamic_cast<const Model*>(&layer)) add_model(*nested, level + 1);
  }
};

}  // namespace

std::string Model::summary_string(SummaryOptions options) const {
  const bool functional = dynamic_cast<const Sequential*>(this) == nullptr && !graph_nodes().empty();
  std::vector<Column> cols;
  if (functional) {
    cols = {{"Layer (type)", 28, Align::left},
            {"Output Shape", 25, Align::left},
            {"Param #", 16, Align::right},
            {"Connected to", 26, Align::left}};
  } else {
    cols = {{"Layer (type)", 37, Align::left},
            {"Output Shape", 28, Align::left},
            {"Param #", 15, Align::right}};
  }
  if (options.show_trainable) cols.push_back({"Trainable", 9, Align::center});

  SummaryRows rows{functional, options.show_trainable, options.expand_nested, {}};
  rows.add_model(*this, 0);

  std::ostringstream out;
  out << "Model: \"" << name() << "\"\n";
  out << render_table(cols, rows.rows);
  int64_t trainable = 0, non_trainable = 0;
  for (const auto& t : trainable_weights()) trainable += t.numel();
  for (const auto& t : non_trainable_weights()) non_trainable += t.numel();
  auto total_line = [&](const char* what, int64_t k) {
    out << " " << what << ": " << with_commas(k) << " (" << memory_size(double(k) * 4) << ")\n";
  };
  total_line("Total params", trainable + non_trainable);
  total_line("Trainable params", trainable);
  total_line("Non-trainable params", non_trainable);
  return out.str();
}

}  // namespace strata
