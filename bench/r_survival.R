#!/usr/bin/env Rscript
# Times the R survival fits that core/stats/survival.py replicates, on one ttr_patients CSV
# (patient_id, group, time, event) written by bench/run.py. Reading the file is NOT timed.
#
# Usage: Rscript bench/r_survival.R TTR_CSV [REFERENCE_GROUP] [COHORT_CSV]
# Prints one line per step, "name seconds" (the fastest of a few repeats), then "total".
# With COHORT_CSV (the whole cohort file, e.g. bench/data/cohort_100000.csv) reading it with
# read.csv is timed too ("read", once): that plus the fits is the speed yardstick of
# bench/speed_bench.py.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE, colClasses = c(patient_id = "character"))
d <- d[!is.na(d$time) & !is.na(d$event), ]
ref <- if (length(args) >= 2) args[2] else "refractory"
d$group <- relevel(factor(d$group), ref = ref)

fastest <- function(expr_fn) {
  best <- Inf
  spent <- 0
  reps <- 0
  # at least 3 repeats; more for quick fits, up to 2 s of repeats
  while (reps < 3 || (spent < 2 && reps < 50)) {
    t0 <- proc.time()[["elapsed"]]
    expr_fn()
    dt <- proc.time()[["elapsed"]] - t0
    best <- min(best, dt)
    spent <- spent + dt
    reps <- reps + 1
  }
  best
}

steps <- list(
  km = function() {
    survfit(Surv(time, event) ~ group, data = d, conf.type = "log-log")
    survfit(Surv(time, event) ~ 1, data = d, conf.type = "log-log")
  },
  logrank = function() survdiff(Surv(time, event) ~ group, data = d),
  cox = function() coxph(Surv(time, event) ~ group, data = d, ties = "efron")
)
total <- 0
if (length(args) >= 3) {
  t0 <- proc.time()[["elapsed"]]
  cohort <- read.csv(args[3], stringsAsFactors = FALSE, colClasses = c(patient_id = "character"))
  total <- proc.time()[["elapsed"]] - t0
  cat(sprintf("read %.6f\n", total))
}
for (name in names(steps)) {
  s <- fastest(steps[[name]])
  total <- total + s
  cat(sprintf("%s %.6f\n", name, s))
}
cat(sprintf("total %.6f\n", total))
