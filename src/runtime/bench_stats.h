#pragma once
// Summaries of repeated measurements: benchmarks report the median (robust to one
// disturbed repetition on a shared machine) with the spread as min and max.
#include <cstddef>
#include <span>

namespace edgelm {

struct SampleSummary {
  double median = 0.0;  // the mean of the two middle values for an even count
  double min = 0.0;
  double max = 0.0;
  size_t count = 0;
};

// All zero for an empty sample.
SampleSummary summarize(std::span<const double> samples);

}  // namespace edgelm
