#include "strata/datasets/csv.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "strata/core/error.hpp"
#include "strata/datasets/gzip_reader.hpp"

namespace strata::datasets {

namespace {

// Whitespace that is not the delimiter: a tab is data structure in a TSV file.
bool is_space(char c, char delimiter) {
  return (c == ' ' || c == '\t' || c == '\r') && c != delimiter;
}

std::string_view trim(std::string_view s, char delimiter) {
  while (!s.empty() && is_space(s.front(), delimiter)) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back(), delimiter)) s.remove_suffix(1);
  return s;
}

// Built by appending: `"'" + std::string(field)` trips GCC 12's false -Wrestrict (PR 105329).
std::string quote(std::string_view field) {
  std::string q(1, '\'');
  q += field;
  q += '\'';
  return q;
}

bool is_blank(std::string_view line, char delimiter) { return trim(line, delimiter).empty(); }

std::vector<std::string_view> split(std::string_view line, char delimiter) {
  std::vector<std::string_view> fields;
  for (;;) {
    size_t end = line.find(delimiter);
    fields.push_back(trim(line.substr(0, end), delimiter));
    if (end == std::string_view::npos) return fields;
    line.remove_prefix(end + 1);
  }
}

class Parser {
 public:
  Parser(std::string who, const CsvOptions& opts) : who_(std::move(who)), opts_(opts) {}

  void add_line(std::string_view line, int64_t line_no) {
    std::vector<std::string_view> fields = split(line, opts_.delimiter);
    const auto columns = static_cast<int64_t>(fields.size());
    if (table_.rows == 0) start(columns, line_no);
    if (columns != columns_)
      throw IOError(who_ + ": line " + std::to_string(line_no) + " has " + std::to_string(columns) +
                    " columns, expected " + std::to_string(columns_) + " as on line " +
                    std::to_string(first_line_));
    for (int64_t c = 0; c < columns; ++c) {
      double v = number(fields[c], line_no, c);
      if (c != label_) {
        table_.x.push_back(static_cast<float>(v));
      } else if (opts_.integer_labels) {
        table_.int_labels.push_back(integer_label(v, fields[c], line_no, c));
      } else {
        table_.float_labels.push_back(static_cast<float>(v));
      }
    }
    ++table_.rows;
  }

  CsvTable finish(bool empty_file) && {
    if (table_.rows == 0)
      throw IOError(who_ + (empty_file ? ": the file is empty" : ": has no data rows") +
                    (opts_.skip_header && !empty_file ? " after its header line" : ""));
    return std::move(table_);
  }

 private:
  // The first data row fixes the column count and so where the label is.
  void start(int64_t columns, int64_t line_no) {
    columns_ = columns;
    first_line_ = line_no;
    label_ = -1;
    if (opts_.has_label) {
      label_ = opts_.label_column < 0 ? columns + opts_.label_column : opts_.label_column;
      if (label_ < 0 || label_ >= columns)
        throw ValueError(who_ + ": label_column " + std::to_string(opts_.label_column) +
                         " is out of range for its " + std::to_string(columns) + " columns");
      if (columns == 1)
        throw IOError(who_ + ": line " + std::to_string(line_no) +
                      " has only the label column and no feature columns");
    }
    table_.features = opts_.has_label ? columns - 1 : columns;
  }

  std::string where(int64_t line_no, int64_t col) const {
    return who_ + ": line " + std::to_string(line_no) + ", column " + std::to_string(col + 1);
  }

  double number(std::string_view field, int64_t line_no, int64_t col) const {
    if (field.empty()) throw IOError(where(line_no, col) + ": empty field");
    std::string_view digits = field;
    // from_chars rejects a leading '+', which other CSV writers emit.
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-') digits.remove_prefix(1);
    double v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    const std::string quoted = quote(field);
    if (ec == std::errc::result_out_of_range)
      throw IOError(where(line_no, col) + ": " + quoted + " is out of the range of float32");
    if (ec != std::errc() || end != digits.data() + digits.size())
      throw IOError(where(line_no, col) + ": " + quoted + " is not a number");
    if (!std::isfinite(v))
      throw IOError(where(line_no, col) + ": " + quoted +
                    " is not a finite number; NaN and infinity are not valid data");
    if (std::fabs(v) > std::numeric_limits<float>::max())
      throw IOError(where(line_no, col) + ": " + quoted + " is out of the range of float32");
    return v;
  }

  int32_t integer_label(double v, std::string_view field, int64_t line_no, int64_t col) const {
    if (v != std::floor(v) || v < std::numeric_limits<int32_t>::min() ||
        v > std::numeric_limits<int32_t>::max())
      throw IOError(where(line_no, col) + ": label " + quote(field) +
                    " is not an int32 integer (set CsvOptions::integer_labels = false for "
                    "real-valued targets)");
    return static_cast<int32_t>(v);
  }

  std::string who_;
  CsvOptions opts_;
  CsvTable table_;
  int64_t columns_ = 0;
  int64_t first_line_ = 0;
  int64_t label_ = -1;
};

}  // namespace

CsvTable read_csv(const std::string& path, const CsvOptions& opts) {
  GzipReader in(path, "CSV file");
  const std::string text = in.read_all();
  std::string_view rest = text;
  // Spreadsheet programs start UTF-8 files with a byte-order mark.
  if (rest.starts_with("\xEF\xBB\xBF")) rest.remove_prefix(3);

  Parser parser(in.describe(), opts);
  bool empty_file = true;
  bool header_pending = opts.skip_header;
  for (int64_t line_no = 1; !rest.empty(); ++line_no) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (is_blank(line, opts.delimiter)) continue;
    empty_file = false;
    if (header_pending) {
      header_pending = false;
      continue;
    }
    parser.add_line(line, line_no);
  }
  return std::move(parser).finish(empty_file);
}

Dataset load_csv(const std::string& path, CsvOptions opts) {
  CsvTable t = read_csv(path, opts);
  Dataset d;
  d.x = Tensor::from_vector(Shape{t.rows, t.features}, t.x);
  if (opts.has_label && opts.integer_labels)
    d.y = Tensor::from_vector(Shape{t.rows}, t.int_labels);
  else if (opts.has_label)
    d.y = Tensor::from_vector(Shape{t.rows}, t.float_labels);
  return d;
}

}  // namespace strata::datasets
