#pragma once
// A small, dependency-free SVG bar chart: panels of horizontal bars, one bar per
// series in each panel, the same colour for a series in every panel, values printed
// at the bars' ends. What `edgelm compare --chart` draws (throughput and memory side
// by side at a glance).
#include <string>
#include <vector>

namespace edgelm {

struct ChartPanel {
  std::string title;           // e.g. "decode (t/s, higher is better)"
  std::vector<double> values;  // one per series; negative or NaN: no bar ("n/a")
  std::vector<std::string> labels;  // printed at the bar's end (same count as values)
};

struct BarChart {
  std::string title;
  std::string subtitle;
  std::vector<std::string> series;  // the bars' names, in order
  std::vector<ChartPanel> panels;
};

// The chart as a standalone SVG document. Text is XML-escaped.
std::string bar_chart_svg(const BarChart& chart);

}  // namespace edgelm
