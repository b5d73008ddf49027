// The study's Table 1 setups: which batch size and learning rate pair a
// setup number stands for. Shared by the sweep (plans) and the report
// (tables), so it lives with the run records they both read.
#pragma once

#include <string>

namespace powertrain {

// The study's Table 1: setup n is batch size {64, 256, 1024, 4096}[(n-1)/4]
// with learning rate {0.1, 0.01, 0.001, 0.0001}[(n-1)%4]. Returns 1..16, or 0
// for a pair outside the table. Every grid, reduced or not, keeps these numbers.
int table1_setup(int batch_size, double learning_rate);
// "7" for a Table 1 pair, else a name ("bs128-lr0.05"): never a number that
// Table 1 gives to another pair.
std::string setup_name(int batch_size, double learning_rate);

}  // namespace powertrain
