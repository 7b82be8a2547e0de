#include "util/bar_chart_svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace edgelm {

namespace {

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Colour-blind-safe palette (Okabe-Ito), cycled.
constexpr const char* kColours[] = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
                                    "#000000"};

constexpr int kWidth = 960, kLabelWidth = 250, kBarMax = 560, kRow = 22, kBar = 16, kPanelGap = 18, kTitle = 22;

}  // namespace

std::string bar_chart_svg(const BarChart& c) {
  const int n = static_cast<int>(c.series.size());
  const int header = 56;
  const int panel_height = kTitle + n * kRow + kPanelGap;
  const int height = header + static_cast<int>(c.panels.size()) * panel_height + 10;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
      "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"13\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"22\" font-size=\"17\" font-weight=\"bold\">{2}</text>\n"
      "<text x=\"10\" y=\"42\" fill=\"#555\">{3}</text>\n",
      kWidth, height, xml_escape(c.title), xml_escape(c.subtitle));
  int y = header;
  for (const ChartPanel& p : c.panels) {
    svg += fmt::format("<text x=\"10\" y=\"{}\" font-weight=\"bold\">{}</text>\n", y + 15, xml_escape(p.title));
    double max = 0;
    for (double v : p.values) {
      if (std::isfinite(v)) max = std::max(max, v);
    }
    for (int i = 0; i < n; ++i) {
      const int row_y = y + kTitle + i * kRow;
      svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLabelWidth - 8, row_y + 12,
                         xml_escape(c.series[static_cast<size_t>(i)]));
      const double v = i < static_cast<int>(p.values.size()) ? p.values[static_cast<size_t>(i)] : NAN;
      const std::string label = i < static_cast<int>(p.labels.size()) ? p.labels[static_cast<size_t>(i)] : "";
      if (!(std::isfinite(v) && v >= 0)) {
        svg += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#888\">n/a</text>\n", kLabelWidth + 4, row_y + 12);
        continue;
      }
      const double w = max > 0 ? v / max * kBarMax : 0;
      svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\"/>\n", kLabelWidth, row_y,
                         w, kBar, kColours[static_cast<size_t>(i) % std::size(kColours)]);
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>\n", kLabelWidth + w + 6, row_y + 12,
                         xml_escape(label));
    }
    y += panel_height;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace edgelm
