// The report module: analyses of run databases and the reporters that write
// them (text, md, csv, json, html). No LibTorch.
#pragma once

#include "powertrain/report/analysis.h"
#include "powertrain/report/carbon.h"
#include "powertrain/report/document.h"
#include "powertrain/report/emissions_csv.h"
#include "powertrain/report/reporter.h"
