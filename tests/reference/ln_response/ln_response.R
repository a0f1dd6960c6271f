#!/usr/bin/env Rscript
# Reference tables for issue 13 (LN response): confirmed and sustained response, duration of
# response, and the BLISS-LN rule set, computed with R only (stats + survival) and written
# independently of the Python code. Definitions: docs in core/analyses/sustained_response.py
# and core/report/export/wording.py (BLISS-LN), restated here.
#
# Usage (from this folder):
#   Rscript ln_response.R cohort_long_bliss.csv expected recorded,kdigo2024,bliss_ln
#   Rscript ln_response.R ../../../data/demo/demo_cohort_long.csv expected/demo recorded
# Writes <out>/<criteria>/{sustained_response, sustained_tests, response_duration,
# response_duration_summary, landmark_responses}.csv and, for bliss_ln,
# <out>/bliss_ln/criteria_sensitivity.csv.

suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = TRUE)
infile <- if (length(args) >= 1) args[1] else "cohort_long_bliss.csv"
outdir <- if (length(args) >= 2) args[2] else "expected"
criteria_list <- strsplit(if (length(args) >= 3) args[3] else "recorded,kdigo2024,bliss_ln",
                          ",")[[1]]

GROUPS <- c("refractory", "relapse")   # reference first
ALL <- "All"
LANDMARKS <- c(6, 12)
WINDOW <- 1
GAP <- 4 * 7 / 30.4375                 # 4 weeks in months (1 month = 365.25 / 12 days)
REL_TOL <- 1e-9
OUTCOMES <- list(CR = "CR", ORR = c("CR", "PR"))

leq <- function(a, b) a <= b + REL_TOL * abs(b)
geq <- function(a, b) a >= b - REL_TOL * abs(b)
on_edge <- function(a, b) abs(a - b) <= REL_TOL * abs(b)

d <- read.csv(infile, stringsAsFactors = FALSE, na.strings = c("", "NA"),
              colClasses = c(patient_id = "character"))
d <- d[order(d$patient_id, d$month), ]
rownames(d) <- NULL

# The visit that counts for landmark L: nearest within +/- WINDOW, the earlier on a tie.
landmark_visits <- function(d, L) {
  w <- d[abs(d$month - L) <= WINDOW, , drop = FALSE]
  w <- w[order(w$patient_id, abs(w$month - L), w$month), , drop = FALSE]
  w[!duplicated(w$patient_id), , drop = FALSE]
}

# Response and boundary flag at every visit against the patient's baseline visit.
visit_responses <- function(d, criteria) {
  if (criteria == "recorded") {
    r <- ifelse(d$response %in% c("CR", "PR", "NR"), d$response, NA_character_)
    return(data.frame(resp = r, edge = FALSE, stringsAsFactors = FALSE))
  }
  b <- landmark_visits(d, 0)
  j <- match(d$patient_id, b$patient_id)
  P0 <- b$upcr[j]; G0 <- b$egfr[j]; Pt <- d$upcr; Gt <- d$egfr
  if (criteria == "kdigo2024") {
    ok <- !is.na(P0) & !is.na(Pt) & !is.na(G0) & !is.na(Gt)
    stable <- geq(Gt, 0.85 * G0)
    cr <- Pt < 0.5 & stable
    pr <- leq(Pt, 0.5 * P0) & Pt < 3.0 & stable
    edge <- on_edge(Gt, 0.85 * G0) | on_edge(Pt, 0.5 * P0) | Pt == 0.5 | Pt == 3.0
  } else if (criteria == "bliss_ln") {
    ref <- if ("prior_egfr" %in% names(d)) ifelse(is.na(d$prior_egfr), G0, d$prior_egfr) else G0
    failed <- if ("treatment_failure" %in% names(d)) {
      ave(as.numeric(d$treatment_failure %in% TRUE), d$patient_id, FUN = cummax)
    } else rep(0, nrow(d))
    ok <- !is.na(Pt) & !is.na(Gt) & !is.na(ref)
    cr <- Pt < 0.5 & (geq(Gt, 0.9 * ref) | geq(Gt, 90)) & failed == 0
    pr <- leq(Pt, 0.7) & (geq(Gt, 0.8 * ref) | geq(Gt, 60)) & failed == 0
    edge <- Pt == 0.5 | on_edge(Gt, 0.9 * ref) | on_edge(Gt, 90) | on_edge(Pt, 0.7) |
      on_edge(Gt, 0.8 * ref) | on_edge(Gt, 60)
  } else stop("unknown criteria ", criteria)
  resp <- ifelse(!ok, NA_character_, ifelse(cr, "CR", ifelse(pr, "PR", "NR")))
  data.frame(resp = resp, edge = ok & edge, stringsAsFactors = FALSE)
}

# One row per patient x landmark: visit month, observed response, boundary flag.
landmark_responses <- function(d) {
  p <- d[!duplicated(d$patient_id), c("patient_id", "group")]
  do.call(rbind, lapply(LANDMARKS, function(L) {
    lv <- landmark_visits(d, L)
    i <- match(p$patient_id, lv$patient_id)
    data.frame(patient_id = p$patient_id, group = p$group, landmark = L,
               visit_month = lv$month[i], response = lv$resp[i],
               on_boundary = !is.na(lv$resp[i]) & lv$edge[i] %in% TRUE,
               stringsAsFactors = FALSE)
  }))
}

# Status per patient x kind x landmark x outcome: "yes", "no" or NA (not evaluable).
statuses <- function(d, lr) {
  ev <- d[!is.na(d$resp) & d$month > 0, ]
  p <- d[!duplicated(d$patient_id), c("patient_id", "group")]
  rows <- list()
  for (out in names(OUTCOMES)) {
    states <- OUTCOMES[[out]]
    for (L in LANDMARKS) {
      at <- lr[lr$landmark == L, ]
      at <- at[match(p$patient_id, at$patient_id), ]
      conf <- sapply(seq_len(nrow(p)), function(k) {
        o <- at$response[k]
        if (is.na(o)) return(NA_character_)
        if (!(o %in% states)) return("no")
        e <- ev[ev$patient_id == p$patient_id[k] & ev$month >= at$visit_month[k] + GAP - 1e-9, ]
        if (nrow(e) == 0) return(NA_character_)
        if (e$resp[1] %in% states) "yes" else "no"
      })
      sust <- sapply(seq_len(nrow(p)), function(k) {
        obs <- sapply(LANDMARKS[LANDMARKS <= L], function(m)
          lr$response[lr$landmark == m & lr$patient_id == p$patient_id[k]])
        known <- obs[!is.na(obs)]
        if (any(!(known %in% states))) return("no")
        if (length(known) == length(obs)) "yes" else NA_character_
      })
      rows[[length(rows) + 1]] <- data.frame(patient_id = p$patient_id, group = p$group,
                                             kind = "confirmed", month = L, outcome = out,
                                             status = conf, stringsAsFactors = FALSE)
      rows[[length(rows) + 1]] <- data.frame(patient_id = p$patient_id, group = p$group,
                                             kind = "sustained", month = L, outcome = out,
                                             status = sust, stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, rows)
}

rate_table <- function(st) {
  rows <- list()
  for (kind in c("confirmed", "sustained")) for (L in LANDMARKS) for (out in names(OUTCOMES)) {
    s0 <- st[st$kind == kind & st$month == L & st$outcome == out, ]
    for (g in c(GROUPS, ALL)) {
      s <- if (g == ALL) s0 else s0[s0$group == g, ]
      n <- sum(!is.na(s$status)); x <- sum(s$status == "yes", na.rm = TRUE)
      ci <- if (n > 0) binom.test(x, n)$conf.int else c(NA, NA)
      rows[[length(rows) + 1]] <- data.frame(
        kind = kind, month = L, outcome = out, group = g, n_patients = nrow(s),
        n_evaluable = n, n_yes = x, pct = if (n > 0) 100 * x / n else NA,
        ci_low = 100 * ci[1], ci_high = 100 * ci[2], n_not_evaluable = nrow(s) - n)
    }
  }
  do.call(rbind, rows)
}

test_table <- function(st) {
  rows <- list()
  for (kind in c("confirmed", "sustained")) for (L in LANDMARKS) for (out in names(OUTCOMES)) {
    s <- st[st$kind == kind & st$month == L & st$outcome == out & !is.na(st$status), ]
    yes <- sapply(GROUPS, function(g) sum(s$group == g & s$status == "yes"))
    n <- sapply(GROUPS, function(g) sum(s$group == g))
    p <- if (all(n > 0)) fisher.test(cbind(yes, n - yes))$p.value else NA
    rows[[length(rows) + 1]] <- data.frame(
      kind = kind, month = L, outcome = out, test = "fisher_exact", p_value = p,
      refractory_yes = yes[[1]], refractory_n = n[[1]], relapse_yes = yes[[2]],
      relapse_n = n[[2]])
  }
  do.call(rbind, rows)
}

duration_data <- function(d) {
  ev <- d[!is.na(d$resp) & d$month > 0, ]
  rows <- list()
  for (pid in unique(ev$patient_id)) {
    v <- ev[ev$patient_id == pid, ]
    for (out in names(OUTCOMES)) {
      met <- v$resp %in% OUTCOMES[[out]]
      if (!any(met)) next
      f <- which(met)[1]
      lost <- which(!met & seq_along(met) > f)
      if (length(lost)) {
        time <- v$month[lost[1]] - v$month[f]; event <- 1
      } else {
        time <- v$month[nrow(v)] - v$month[f]; event <- 0
      }
      rows[[length(rows) + 1]] <- data.frame(patient_id = pid, group = v$group[1],
                                             outcome = out, onset_month = v$month[f],
                                             time = time, event = event,
                                             stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, rows)
}

duration_tables <- function(dd) {
  curves <- list(); summ <- list()
  for (out in names(OUTCOMES)) for (g in c(GROUPS, ALL)) {
    s <- dd[dd$outcome == out & (g == ALL | dd$group == g), ]
    if (nrow(s) == 0) next
    fit <- survfit(Surv(time, event) ~ 1, data = s, conf.type = "log-log")
    curves[[length(curves) + 1]] <- data.frame(
      outcome = out, group = g, time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
      n_censor = fit$n.censor, pct_in_response = 100 * fit$surv, ci_low = 100 * fit$lower,
      ci_high = 100 * fit$upper, surv = fit$surv, std_err_log_surv = fit$std.err)
    tb <- summary(fit)$table
    summ[[length(summ) + 1]] <- data.frame(
      outcome = out, group = g, n = unname(tb["records"]), n_events = unname(tb["events"]),
      median_time = unname(tb["median"]), median_ci_low = unname(tb["0.95LCL"]),
      median_ci_high = unname(tb["0.95UCL"]))
  }
  list(response_duration = do.call(rbind, curves),
       response_duration_summary = do.call(rbind, summ))
}

sensitivity_rows <- function(lr, criteria) {
  rows <- list()
  for (L in LANDMARKS) for (g in c(GROUPS, ALL)) {
    s <- lr[lr$landmark == L & (g == ALL | lr$group == g), ]
    ev <- !is.na(s$response)
    rows[[length(rows) + 1]] <- data.frame(
      criteria = criteria, month = L, group = g, n_evaluable = sum(ev),
      cr_n = sum(s$response == "CR", na.rm = TRUE), pr_n = sum(s$response == "PR", na.rm = TRUE),
      orr_n = sum(s$response %in% c("CR", "PR")),
      orr_pct = 100 * sum(s$response %in% c("CR", "PR")) / sum(ev), n_patients = nrow(s),
      n_no_visit = sum(is.na(s$visit_month)), n_on_boundary = sum(s$on_boundary))
  }
  do.call(rbind, rows)
}

write_tab <- function(x, dir, name) {
  dir.create(dir, showWarnings = FALSE, recursive = TRUE)
  write.csv(x, file.path(dir, paste0(name, ".csv")), row.names = FALSE, na = "")
}

for (criteria in criteria_list) {
  dc <- d
  vr <- visit_responses(dc, criteria)
  dc$resp <- vr$resp
  dc$edge <- vr$edge
  lr <- landmark_responses(dc)
  st <- statuses(dc, lr)
  dir <- file.path(outdir, criteria)
  write_tab(rate_table(st), dir, "sustained_response")
  write_tab(test_table(st), dir, "sustained_tests")
  dt <- duration_tables(duration_data(dc))
  for (nm in names(dt)) write_tab(dt[[nm]], dir, nm)
  write_tab(lr[, c("patient_id", "landmark", "visit_month", "response")], dir,
            "landmark_responses")
  if (criteria != "recorded") write_tab(sensitivity_rows(lr, criteria), dir,
                                        "criteria_sensitivity")
}
