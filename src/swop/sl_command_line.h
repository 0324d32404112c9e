#pragma once

// The `swarm sl` command line for an SL/ML pair: written once, for every resource manager.

#include <string>
#include <vector>

#include "swop/launch_spec.h"

namespace swarm::swop {

// argv of `swarm sl` for `spec`, whose ML program is `program` (the program with its
// arguments, e.g. wrapped by the resource manager in bubblewrap). Every value is passed
// as --flag=value, so values that begin with "-" stay values.
std::vector<std::string> SlCommandLine(const SlLaunchSpec& spec, const std::vector<std::string>& program);

// Splits a task's Command ("model/mnist.py --epochs 2") into words: blanks separate them,
// double or single quotes keep blanks, a backslash escapes the next character.
StatusOr<std::vector<std::string>> SplitCommand(std::string_view command);

}  // namespace swarm::swop
