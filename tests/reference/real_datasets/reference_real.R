#!/usr/bin/env Rscript
# Reference tables (docs/data-contract.md section 6) for the two real public data sets of
# this folder, computed in R from the exported files and their mapping files alone:
#
#   actg175_wide.csv + actg175_wide.mapping.json   ->  expected/actg175/*.csv
#   pbcseq_long.csv  + pbcseq_long.mapping.json    ->  expected/pbcseq/*.csv
#
# The mapping grammar (docs/data-contract.md section 3, tasks' grammar) is applied here
# independently of the Python code: `<measure>_<m|w|d><n>` wide targets (weeks x 12 / 52,
# days / 30.4375 months, never rounded), bare measures of a long file with `month` in the
# unit of `units$month`, `ttr_months` in the unit of `units$ttr_months`, `ttr_event` 0/1,
# `values` recodes (the order of `values$group` = the group order, its first label = the
# reference group), `ignore`, every other column a patient pass-through column.
#
# Definitions are those of ../reference.R (validation cohort), generalised to k groups and
# to the measures of the file:
# - landmark visit: the visit nearest the landmark within +/- 1 month (1e-9 month tolerance
#   at the edge), the earlier on a tie; baseline = landmark 0. Values are read from that
#   visit only.
# - paired_changes, repeated_measures, repeated_pairwise, change_between_groups: as
#   reference.R (wilcox.test digits.rank = 7; friedman.test; pairwise.wilcox.test Holm);
#   change_between_groups has one row per non-reference group against the reference.
#   A measure/landmark/group without pairs still has its row (counts 0, statistics empty).
# - time to event: the file's own time (`ttr_months`, converted to months) and event
#   (`ttr_event`), every patient with both; survfit(conf.type = "log-log"), ttr_risk every
#   3 months from 0 to the last time, summary(fit)$table, survdiff (k - 1 df), coxph(ties =
#   "efron") with one HR per non-reference group, pairwise survdiff with Holm, RMST at the
#   default tau (the smallest of the groups' last times; survRM2 formulas, written out
#   because survRM2 is not installed), cox.zph(transform = "km").
# - table1: age, sex, each measure at the baseline visit, then the pass-through columns
#   (numeric -> continuous; text with <= 20 levels -> categorical, levels sorted in C
#   locale; more levels -> left out); continuous: wilcox.test(digits.rank = 7) for 2
#   groups, kruskal.test for more; categorical: fisher.test when any expected count < 5,
#   else chisq.test(correct = FALSE); SMD = the largest pairwise SMD (|dmean| / pooled SD;
#   Yang & Dalton for categorical variables).
# - lab_mixed: y ~ time * group + (1 + time | patient_id), time = month / 12, REML (lme4,
#   run to tight tolerances; random-intercept model when isSingular(tol = 1e-4)); df and
#   t-tests from nlme::lme's containment rule, as ../mixed/reference_mixed.R.
#
# Usage (from this folder):  Rscript reference_real.R
# R 4.2.2, survival 3.5.3, lme4, nlme, jsonlite.

suppressPackageStartupMessages({
  library(survival)
  library(jsonlite)
  library(lme4)
  library(nlme)
})

ALL <- "All"
WINDOW <- 1
EDGE_TOL <- 1e-9
RISK_STEP <- 3
MAX_LEVELS <- 20
DAYS_PER_MONTH <- 30.4375
PER_MONTH <- c(months = 1, weeks = 12 / 52, days = 1 / DAYS_PER_MONTH)
SUFFIX <- c(m = "months", w = "weeks", d = "days")
LIMITS <- list(albumin = c(0.5, 7))   # g/dL, clinical-rules section 4 (errors)

# ------------------------------------------------------------------ reading + mapping
read_mapped <- function(file, mapfile) {
  mp <- fromJSON(mapfile, simplifyVector = FALSE)
  raw <- read.csv(file, check.names = FALSE, colClasses = "character", na.strings = "",
                  encoding = "UTF-8")
  raw[] <- lapply(raw, function(x) ifelse(is.na(x) | trimws(x) == "", NA, trimws(x)))
  cols <- unlist(mp$columns)
  stopifnot(all(names(cols) %in% names(raw)))
  units <- unlist(mp$units)
  unit_of <- function(field) if (field %in% names(units)) units[[field]] else "months"
  groups <- unlist(mp$values$group)
  GROUPS <- unique(unname(groups))
  recode <- function(x, field) {
    v <- unlist(mp$values[[field]])
    if (is.null(v)) return(x)
    ifelse(is.na(x), NA, ifelse(x %in% names(v), v[x], x))
  }
  num <- function(x) {
    y <- suppressWarnings(as.numeric(x))
    stopifnot(identical(is.na(y), is.na(x)))
    y
  }
  target <- function(src) cols[[src]]
  wide_re <- "^([a-z][a-z0-9_]*)_([mwd])([0-9]+(\\.[0-9]+)?)$"
  patient_fields <- c("patient_id", "group", "sex", "age", "ttr_months", "ttr_event")
  mapped <- names(cols)[cols != "ignore"]
  pass <- setdiff(names(raw), names(cols))            # unmapped columns: pass-through
  pid <- raw[[names(cols)[cols == "patient_id"]]]
  pf <- data.frame(patient_id = pid, stringsAsFactors = FALSE)
  for (src in mapped) {
    f <- target(src)
    if (!f %in% patient_fields) next
    x <- raw[[src]]
    if (f == "group") x <- recode(x, "group")
    if (f == "sex") x <- recode(x, "sex")
    if (f %in% c("age", "ttr_event")) x <- num(x)
    if (f == "ttr_months") x <- num(x) * PER_MONTH[[unit_of("ttr_months")]]
    pf[[f]] <- x
  }
  for (src in pass) {
    x <- raw[[src]]
    y <- suppressWarnings(as.numeric(x))
    pf[[src]] <- if (all(is.na(y) == is.na(x))) y else x
  }
  # one row per patient; patient columns must agree between a patient's rows
  P <- pf[!duplicated(pf$patient_id), , drop = FALSE]
  for (f in names(pf)) {
    k <- paste(pf$patient_id, pf[[f]])
    stopifnot(length(unique(k)) == nrow(P))
  }
  wide <- grepl(wide_re, cols[mapped])
  if (any(wide)) {
    src <- mapped[wide]
    meas <- sub(wide_re, "\\1", cols[src])
    month <- as.numeric(sub(wide_re, "\\3", cols[src])) *
      PER_MONTH[SUFFIX[sub(wide_re, "\\2", cols[src])]]
    MEASURES <- unique(meas)
    V <- do.call(rbind, lapply(sort(unique(month)), function(m) {
      v <- data.frame(patient_id = pid, month = m, stringsAsFactors = FALSE)
      for (me in MEASURES) {
        s <- src[meas == me & month == m]
        v[[me]] <- if (length(s)) num(raw[[s]]) else NA_real_
      }
      v[rowSums(!is.na(v[, MEASURES, drop = FALSE])) > 0, , drop = FALSE]
    }))
  } else {
    msrc <- names(cols)[cols == "month"]
    V <- data.frame(patient_id = pid,
                    month = num(raw[[msrc]]) * PER_MONTH[[unit_of("month")]],
                    stringsAsFactors = FALSE)
    lab_src <- setdiff(mapped, c(msrc, names(cols)[cols %in% patient_fields]))
    MEASURES <- unname(cols[lab_src])
    for (s in lab_src) V[[cols[[s]]]] <- num(raw[[s]])
  }
  # clinical-rules section 4 limits of the canonical labs in these files: a value outside
  # them is an error, or set to missing with options.drop_invalid (PBC150's albumin of
  # 8.01 g/dL at day 188 in pbcseq)
  n_dropped <- 0
  for (lab in intersect(names(LIMITS), names(V))) {
    bad <- !is.na(V[[lab]]) & (V[[lab]] < LIMITS[[lab]][1] | V[[lab]] > LIMITS[[lab]][2])
    if (any(bad) && !isTRUE(mp$options$drop_invalid)) stop("implausible ", lab)
    V[[lab]][bad] <- NA
    n_dropped <- n_dropped + sum(bad)
  }
  V$group <- P$group[match(V$patient_id, P$patient_id)]
  V <- V[order(match(V$patient_id, P$patient_id), V$month), ]
  stopifnot(!anyDuplicated(V[, c("patient_id", "month")]))
  rownames(V) <- NULL
  stopifnot(all(P$group %in% GROUPS))
  list(P = P, V = V, GROUPS = GROUPS, MEASURES = MEASURES,
       pass = pass, n_dropped = n_dropped)
}

subset_group <- function(x, g) if (g == ALL) x else x[x$group == g, , drop = FALSE]
method_of <- function(wt) if (grepl("exact", wt$method)) "exact" else "normal_cc"
safe <- function(expr) tryCatch(expr, error = function(e) NULL)

# ---------------------------------------------------------------- landmark rule
landmark_visits <- function(d, L) {
  w <- d[abs(d$month - L) <= WINDOW + EDGE_TOL, , drop = FALSE]
  w <- w[order(match(w$patient_id, unique(d$patient_id)), abs(w$month - L), w$month), ,
         drop = FALSE]
  w[!duplicated(w$patient_id), , drop = FALSE]
}

value_at <- function(d, L, measure, k) {
  x <- landmark_visits(d, L)[, c("patient_id", "group", measure)]
  names(x)[3] <- paste0("v", k)
  x
}

landmark_visits_table <- function(P, V, LANDMARKS) {
  rows <- lapply(c(0, LANDMARKS), function(L) {
    lv <- landmark_visits(V, L)
    data.frame(patient_id = P$patient_id, group = P$group, landmark = L,
               visit_month = lv$month[match(P$patient_id, lv$patient_id)],
               stringsAsFactors = FALSE)
  })
  x <- do.call(rbind, rows)
  x <- x[order(match(x$patient_id, P$patient_id), x$landmark), ]
  rownames(x) <- NULL
  x
}

# ------------------------------------------------------------------ paired changes
# k = index of the landmark in c(0, LANDMARKS) (0 = baseline)
paired_data <- function(P, V, measure, L, k) {
  b <- value_at(V, 0, measure, 0)
  f <- value_at(V, L, measure, k)[, c(1, 3)]
  pr <- merge(b, f, by = "patient_id")
  pr[complete.cases(pr), ]
}

q3 <- function(x) if (length(x)) quantile(x, c(0.25, 0.5, 0.75), type = 7, names = FALSE) else
  rep(NA_real_, 3)

signed_rank <- function(x, y) {
  dd <- x - y
  wt <- safe(suppressWarnings(wilcox.test(x, y, paired = TRUE, digits.rank = 7)))
  nz <- signif(dd[dd != 0], 7)
  list(p = if (is.null(wt)) NA else wt$p.value,
       V = if (is.null(wt)) NA else unname(wt$statistic),
       method = if (is.null(wt)) "" else method_of(wt),
       n_zero = sum(dd == 0), tied = length(unique(abs(nz))) < length(nz))
}

paired_tables <- function(P, V, cfg) {
  out <- list()
  for (measure in cfg$MEASURES) for (k in seq_along(cfg$LANDMARKS)) {
    L <- cfg$LANDMARKS[k]
    pr <- paired_data(P, V, measure, L, k)
    for (g in c(cfg$GROUPS, ALL)) {
      s <- subset_group(pr, g)
      y <- s[["v0"]]
      x <- s[[paste0("v", k)]]
      dd <- x - y
      tt <- if (length(dd) >= 2) safe(t.test(x, y, paired = TRUE)) else NULL
      sr <- signed_rank(x, y)
      qb <- q3(y)
      qf <- q3(x)
      out[[length(out) + 1]] <- data.frame(
        measure = measure, month = L, group = g, n_pairs = length(dd),
        baseline_median = qb[2], baseline_q1 = qb[1], baseline_q3 = qb[3],
        followup_median = qf[2], followup_q1 = qf[1], followup_q3 = qf[3],
        median_change = if (length(dd)) median(dd) else NA, mean_change = if (length(dd))
          mean(dd) else NA,
        mean_change_ci_low = if (is.null(tt)) NA else tt$conf.int[1],
        mean_change_ci_high = if (is.null(tt)) NA else tt$conf.int[2],
        sd_change = if (length(dd) >= 2) sd(dd) else NA,
        wilcoxon_p = sr$p, ttest_p = if (is.null(tt)) NA else tt$p.value,
        wilcoxon_V = sr$V, wilcoxon_method = sr$method, n_zero_diff = sr$n_zero,
        tied_abs_diff = sr$tied, stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, out)
}

change_between_table <- function(P, V, cfg) {
  out <- list()
  ref <- cfg$GROUPS[1]
  for (measure in cfg$MEASURES) for (k in seq_along(cfg$LANDMARKS)) {
    L <- cfg$LANDMARKS[k]
    pr <- paired_data(P, V, measure, L, k)
    ch <- pr[[paste0("v", k)]] - pr[["v0"]]
    b <- ch[pr$group == ref]
    for (g in cfg$GROUPS[-1]) {
      a <- ch[pr$group == g]
      wt <- if (length(a) && length(b)) safe(suppressWarnings(
        wilcox.test(a, b, digits.rank = 7))) else NULL
      r <- signif(c(a, b), 7)
      out[[length(out) + 1]] <- data.frame(
        measure = measure, month = L, group_a = g, group_b = ref,
        n_a = length(a), n_b = length(b), test = "wilcoxon_rank_sum",
        p_value = if (is.null(wt)) NA else wt$p.value,
        W = if (is.null(wt)) NA else unname(wt$statistic),
        wilcoxon_method = if (is.null(wt)) "" else method_of(wt),
        tied = anyDuplicated(r) > 0, stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, out)
}

friedman_data <- function(V, measure, cfg) {
  marks <- c(0, cfg$LANDMARKS)
  w <- value_at(V, 0, measure, 0)
  for (k in seq_along(cfg$LANDMARKS))
    w <- merge(w, value_at(V, cfg$LANDMARKS[k], measure, k)[, c(1, 3)], by = "patient_id")
  w[complete.cases(w), ]
}

friedman_table <- function(P, V, cfg) {
  out <- list()
  vk <- paste0("v", 0:length(cfg$LANDMARKS))
  for (measure in cfg$MEASURES) {
    w <- friedman_data(V, measure, cfg)
    for (g in c(cfg$GROUPS, ALL)) {
      s <- subset_group(w, g)
      ft <- if (nrow(s) >= 2) safe(friedman.test(as.matrix(s[, vk]))) else NULL
      out[[length(out) + 1]] <- data.frame(
        measure = measure, group = g, n_complete = nrow(s),
        months = paste(sprintf("%g", c(0, cfg$LANDMARKS)), collapse = ","),
        friedman_p = if (is.null(ft)) NA else ft$p.value,
        friedman_chisq = if (is.null(ft)) NA else unname(ft$statistic),
        stringsAsFactors = FALSE)
    }
  }
  do.call(rbind, out)
}

pairwise_table <- function(P, V, cfg) {
  out <- list()
  marks <- c(0, cfg$LANDMARKS)
  for (measure in cfg$MEASURES) {
    w <- friedman_data(V, measure, cfg)
    for (g in c(cfg$GROUPS, ALL)) {
      s <- subset_group(w, g)
      rows <- list()
      for (a in seq_along(marks)[-length(marks)]) for (b in (a + 1):length(marks)) {
        x <- s[[paste0("v", b - 1)]]
        y <- s[[paste0("v", a - 1)]]
        sr <- signed_rank(x, y)
        rows[[length(rows) + 1]] <- data.frame(
          measure = measure, group = g, month_a = marks[a], month_b = marks[b],
          n_pairs = nrow(s), wilcoxon_p = sr$p, p_holm = NA, wilcoxon_V = sr$V,
          wilcoxon_method = sr$method, n_zero_diff = sr$n_zero, tied_abs_diff = sr$tied,
          stringsAsFactors = FALSE)
      }
      r <- do.call(rbind, rows)
      r$p_holm <- p.adjust(r$wilcoxon_p, "holm")
      if (nrow(s) >= 2) {   # the same numbers as pairwise.wilcox.test
        xx <- unlist(s[, paste0("v", seq_along(marks) - 1)], use.names = FALSE)
        mo <- rep(seq_along(marks), each = nrow(s))
        pw <- suppressWarnings(pairwise.wilcox.test(xx, mo, paired = TRUE,
                                                    p.adjust.method = "holm",
                                                    digits.rank = 7)$p.value)
        for (i in seq_len(nrow(r))) {
          a <- match(r$month_a[i], marks)
          b <- match(r$month_b[i], marks)
          stopifnot(isTRUE(all.equal(pw[as.character(b), as.character(a)], r$p_holm[i],
                                     tolerance = 1e-14)))
        }
      }
      out[[length(out) + 1]] <- r
    }
  }
  do.call(rbind, out)
}

# --------------------------------------------------------------- time to event
curve_rows <- function(fit, label) {
  data.frame(group = label, time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
             n_censor = fit$n.censor, cum_incidence = 100 * (1 - fit$surv),
             ci_low = 100 * (1 - fit$upper), ci_high = 100 * (1 - fit$lower),
             surv = fit$surv, std_err_log_surv = fit$std.err)
}

risk_rows <- function(fit, label, times, tt) {
  s <- summary(fit, times = times, extend = TRUE)
  x <- data.frame(group = label, time = s$time, n_risk = s$n.risk,
                  cum_events = cumsum(s$n.event), cum_censored = cumsum(s$n.censor))
  stopifnot(identical(x$time, times),
            all(x$n_risk == sapply(times, function(u) sum(tt$time >= u))),
            all(x$cum_events == sapply(times, function(u) sum(tt$event == 1 & tt$time <= u))),
            all(x$cum_censored == sapply(times, function(u) sum(tt$event == 0 & tt$time <= u))))
  x
}

summary_row <- function(fit, label) {
  tb <- summary(fit)$table
  v <- c(fit$surv, fit$lower, fit$upper)
  dist <- abs(v - 0.5)
  if (any(dist > 1e-13 & dist < 1e-6, na.rm = TRUE))
    stop("a curve value is within 1e-6 of 0.5 in ", label, ": tolerance-dependent median")
  on_half <- any(abs(fit$surv - 0.5) <= 1e-13)
  data.frame(group = label, n = unname(tb["records"]), n_events = unname(tb["events"]),
             median_time = unname(tb["median"]), median_ci_low = unname(tb["0.95LCL"]),
             median_ci_high = unname(tb["0.95UCL"]),
             median_rule = if (is.na(tb["median"])) "not_reached" else
               if (on_half) "midpoint" else "first_time_at_or_below_half")
}

ttr_tables <- function(P, cfg) {
  G <- cfg$GROUPS
  t <- data.frame(patient_id = P$patient_id, group = P$group, time = P$ttr_months,
                  event = P$ttr_event, stringsAsFactors = FALSE)
  t <- t[!is.na(t$time) & !is.na(t$event), ]
  stopifnot(all(t$event %in% c(0, 1)), all(t$time > 0))
  times <- seq(0, max(t$time), by = RISK_STEP)
  curves <- list(); summ <- list(); risk <- list()
  for (g in c(G, ALL)) {
    tg <- subset_group(t, g)
    fit <- survfit(Surv(time, event) ~ 1, data = tg, conf.type = "log-log")
    curves[[g]] <- curve_rows(fit, g)
    summ[[g]] <- summary_row(fit, g)
    risk[[g]] <- risk_rows(fit, g, times, tg)
  }
  tf <- t
  tf$group <- factor(tf$group, levels = G)
  sd <- survdiff(Surv(time, event) ~ group, data = tf)
  df <- length(sd$n) - 1
  tests <- data.frame(test = "log-rank", statistic = sd$chisq, df = df,
                      p_value = pchisq(sd$chisq, df, lower.tail = FALSE))
  cx <- coxph(Surv(time, event) ~ group, data = tf, ties = "efron",
              control = coxph.control(eps = 1e-12, toler.chol = 1e-13, iter.max = 100))
  sc <- summary(cx)
  cox <- data.frame(term = paste(G[-1], "vs", G[1]),
                    hr = sc$conf.int[, "exp(coef)"], ci_low = sc$conf.int[, "lower .95"],
                    ci_high = sc$conf.int[, "upper .95"],
                    p_value = sc$coefficients[, "Pr(>|z|)"],
                    coef = sc$coefficients[, "coef"], se = sc$coefficients[, "se(coef)"],
                    n = sc$n, n_events = sc$nevent, group = G[-1], reference = G[1],
                    converged = TRUE, stringsAsFactors = FALSE)
  rownames(cox) <- NULL
  pw <- do.call(rbind, combn(G, 2, simplify = FALSE, FUN = function(ab) {
    s <- tf[tf$group %in% ab, ]
    s$group <- droplevels(s$group)
    d2 <- survdiff(Surv(time, event) ~ group, data = s)
    data.frame(group_a = ab[1], group_b = ab[2], n_a = sum(s$group == ab[1]),
               n_b = sum(s$group == ab[2]), statistic = d2$chisq, df = 1,
               p_value = pchisq(d2$chisq, 1, lower.tail = FALSE), stringsAsFactors = FALSE)
  }))
  pw$p_holm <- p.adjust(pw$p_value, "holm")
  # RMST at the default tau: the smallest of the groups' last times
  tau <- min(tapply(t$time, t$group, max))
  rm <- do.call(rbind, lapply(c(G, ALL), function(g) {
    s <- subset_group(t, g)
    tb <- summary(survfit(Surv(time, event) ~ 1, data = s), rmean = tau)$table
    data.frame(group = g, tau = tau, rmst = unname(tb["rmean"]), se = unname(tb["se(rmean)"]),
               n = nrow(s), n_events = sum(s$event), stringsAsFactors = FALSE)
  }))
  rm$ci_low <- rm$rmst - qnorm(0.975) * rm$se
  rm$ci_high <- rm$rmst + qnorm(0.975) * rm$se
  rm <- rm[, c("group", "tau", "rmst", "se", "ci_low", "ci_high", "n", "n_events")]
  z <- qnorm(0.975)
  a <- rm[rm$group == G[1], ]
  rd <- do.call(rbind, lapply(G[-1], function(g) {    # survRM2::rmst2: arm 1 = g, arm 0 = ref
    b <- rm[rm$group == g, ]
    dd <- b$rmst - a$rmst; s <- sqrt(a$se^2 + b$se^2)
    lr <- log(b$rmst / a$rmst); sr <- sqrt(a$se^2 / a$rmst^2 + b$se^2 / b$rmst^2)
    data.frame(group = g, reference = G[1], tau = tau, diff = dd, diff_ci_low = dd - z * s,
               diff_ci_high = dd + z * s, diff_p = 2 * pnorm(-abs(dd / s)), ratio = exp(lr),
               ratio_ci_low = exp(lr - z * sr), ratio_ci_high = exp(lr + z * sr),
               ratio_p = 2 * pnorm(-abs(lr / sr)), stringsAsFactors = FALSE)
  }))
  zp <- cox.zph(cx, transform = "km")
  ph <- data.frame(term = rownames(zp$table), chisq = zp$table[, "chisq"],
                   df = zp$table[, "df"], p_value = zp$table[, "p"], transform = "km",
                   stringsAsFactors = FALSE)
  rownames(ph) <- NULL
  # milestones at the landmark months: 1 - KM (no competing event), log-log CI, SE of S
  ms <- do.call(rbind, lapply(c(G, ALL), function(g) {
    tg <- subset_group(t, g)
    fit <- survfit(Surv(time, event) ~ 1, data = tg, conf.type = "log-log")
    sm <- summary(fit, times = cfg$LANDMARKS, extend = TRUE)
    zero <- sm$surv == 1
    data.frame(group = g, estimator = "one_minus_km", month = cfg$LANDMARKS,
               cum_incidence = 100 * (1 - sm$surv),
               ci_low = ifelse(zero, NA, 100 * (1 - sm$upper)),
               ci_high = ifelse(zero, NA, 100 * (1 - sm$lower)), std_err = sm$std.err,
               n_risk = sm$n.risk, stringsAsFactors = FALSE)
  }))
  list(ttr_patients = t, ttr_curve = do.call(rbind, curves), ttr_risk = do.call(rbind, risk),
       milestones = ms,
       ttr_summary = do.call(rbind, summ), ttr_tests = tests, cox = cox,
       pairwise_logrank = pw, rmst = rm, rmst_difference = rd, ph_test = ph)
}

# ----------------------------------------------------------------------- table1
fmt4 <- function(x) format(signif(x, 4), scientific = FALSE, trim = TRUE,
                           drop0trailing = TRUE)
median_iqr <- function(x) {
  x <- x[!is.na(x)]
  if (!length(x)) return("–")
  q <- quantile(x, c(0.25, 0.5, 0.75), type = 7, names = FALSE)
  sprintf("%s (%s-%s)", fmt4(q[2]), fmt4(q[1]), fmt4(q[3]))
}
smd_continuous <- function(a, b) {
  a <- a[!is.na(a)]; b <- b[!is.na(b)]
  abs(mean(a) - mean(b)) / sqrt((var(a) + var(b)) / 2)
}
smd_categorical <- function(p1, p2) {
  t1 <- p1[-1]; t2 <- p2[-1]
  S <- -(outer(t1, t1) + outer(t2, t2)) / 2
  diag(S) <- (t1 * (1 - t1) + t2 * (1 - t2)) / 2
  dlt <- t1 - t2
  sqrt(drop(t(dlt) %*% solve(S, dlt)))
}
max_pairwise <- function(items, fn) {
  v <- combn(length(items), 2, function(ij) fn(items[[ij[1]]], items[[ij[2]]]))
  max(v[is.finite(v)])
}

table1_table <- function(P, V, cfg) {
  G <- cfg$GROUPS
  cols <- c(G, ALL)
  grp <- P$group
  b <- landmark_visits(V, 0)
  cont <- function(variable, x) {
    txt <- sapply(cols, function(g) median_iqr(if (g == ALL) x else x[grp == g]))
    per <- lapply(G, function(g) { v <- x[grp == g]; v[!is.na(v)] })
    if (length(G) == 2) {
      wt <- suppressWarnings(wilcox.test(per[[2]], per[[1]], digits.rank = 7))
      test <- "wilcoxon_rank_sum"; pv <- wt$p.value; pm <- method_of(wt)
    } else {
      test <- "kruskal_wallis"; pv <- kruskal.test(per)$p.value; pm <- "asymptotic"
    }
    r <- data.frame(variable = variable, level = "", t(txt), p_value = pv, test = test,
                    smd = max_pairwise(per, smd_continuous), n_missing = sum(is.na(x)),
                    p_method = pm, check.names = FALSE, stringsAsFactors = FALSE)
    names(r)[3:(2 + length(cols))] <- cols
    r
  }
  catg <- function(variable, x, levels) {
    ok <- !is.na(x)
    tab <- table(factor(grp[ok], levels = G), factor(x[ok], levels = levels))
    E <- outer(rowSums(tab), colSums(tab)) / sum(tab)
    if (any(E < 5)) {
      test <- "fisher_exact"
      pv <- fisher.test(tab, workspace = 2e8)$p.value
    } else {
      test <- "chi_square"
      pv <- chisq.test(tab, correct = FALSE)$p.value
    }
    prop <- lapply(G, function(g) tab[g, ] / sum(tab[g, ]))
    smd <- max_pairwise(prop, smd_categorical)
    all_n <- colSums(tab)
    out <- list()
    for (lev in levels) {
      txt <- c(sapply(G, function(g) sprintf("%d (%.1f%%)", tab[g, lev],
                                             100 * tab[g, lev] / sum(tab[g, ]))),
               sprintf("%d (%.1f%%)", all_n[lev], 100 * all_n[lev] / sum(all_n)))
      r <- data.frame(variable = variable, level = lev, t(txt), p_value = pv, test = test,
                      smd = smd, n_missing = sum(!ok),
                      p_method = if (test == "fisher_exact") "exact" else "asymptotic",
                      check.names = FALSE, stringsAsFactors = FALSE)
      names(r)[3:(2 + length(cols))] <- cols
      out[[length(out) + 1]] <- r
    }
    do.call(rbind, out)
  }
  rows <- list(cont("age", P$age))
  sx <- c("F", "M")
  rows[[length(rows) + 1]] <- catg("sex", P$sex, sx[sx %in% P$sex])
  for (m in cfg$MEASURES)
    rows[[length(rows) + 1]] <- cont(m, b[[m]][match(P$patient_id, b$patient_id)])
  for (v in cfg$pass) {
    x <- P[[v]]
    if (is.numeric(x)) {
      rows[[length(rows) + 1]] <- cont(v, x)
    } else if (length(unique(x[!is.na(x)])) <= MAX_LEVELS) {
      rows[[length(rows) + 1]] <- catg(v, x, sort(unique(x[!is.na(x)]), method = "radix"))
    }                                              # more levels: free text, left out
  }
  x <- do.call(rbind, rows)
  rownames(x) <- NULL
  x
}

# --------------------------------------------------------------------- lab_mixed
lmer_ctrl <- lmerControl(optimizer = "nloptwrap",
                         optCtrl = list(ftol_abs = 1e-14, ftol_rel = 1e-14,
                                        xtol_abs = 1e-12, xtol_rel = 1e-12, maxeval = 1e5),
                         check.conv.singular = "ignore")
lme_ctrl <- lmeControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-12, niterEM = 100,
                       msTol = 1e-14, returnObject = TRUE)
term_name <- function(x) {
  x <- sub("^\\(Intercept\\)$", "intercept", x)
  x <- sub("^group", "group=", x)
  sub("^time:group", "time:group=", x)
}

lab_mixed_table <- function(V, cfg) {
  out <- list()
  slopes <- list()
  for (measure in cfg$MIXED) {
    keep <- !is.na(V[[measure]]) & !is.na(V$group)
    m <- data.frame(patient_id = factor(V$patient_id[keep]),
                    group = factor(V$group[keep], levels = cfg$GROUPS),
                    time = V$month[keep] / 12, y = V[[measure]][keep])
    full <- lmer(y ~ time * group + (1 + time | patient_id), data = m, REML = TRUE,
                 control = lmer_ctrl)
    if (!isSingular(full, tol = 1e-4)) {
      fit <- full
      lfit <- lme(y ~ time * group, random = ~ 1 + time | patient_id, data = m,
                  method = "REML", control = lme_ctrl)
      model <- "random intercept and slope"
    } else {
      fit <- lmer(y ~ time * group + (1 | patient_id), data = m, REML = TRUE,
                  control = lmer_ctrl)
      lfit <- lme(y ~ time * group, random = ~ 1 | patient_id, data = m, method = "REML",
                  control = lme_ctrl)
      model <- "random intercept"
    }
    df <- summary(lfit)$tTable[, "DF"]
    co <- summary(fit)$coefficients
    est <- co[, 1]; se <- co[, 2]; q <- qt(0.975, df)
    fixed <- data.frame(effect = "fixed", term = term_name(rownames(co)), estimate = est,
                        se = se, df = df, t_value = est / se,
                        p_value = 2 * pt(-abs(est / se), df), ci_low = est - q * se,
                        ci_high = est + q * se, stringsAsFactors = FALSE)
    vc <- as.data.frame(VarCorr(fit))
    nm <- ifelse(is.na(vc$var1), "sd(residual)",
                 ifelse(is.na(vc$var2), paste0("sd(", vc$var1, ")"),
                        paste0("cor(", vc$var1, ",", vc$var2, ")")))
    random <- data.frame(effect = "random", term = gsub("\\(Intercept\\)", "intercept", nm),
                         estimate = vc$sdcor, se = NA, df = NA, t_value = NA, p_value = NA,
                         ci_low = NA, ci_high = NA, stringsAsFactors = FALSE)
    rows <- rbind(fixed, random)
    # slope of each group per year (reference: b_time; other: b_time + b_time:group) and
    # each group's difference from the reference (b_time:group); vcov-based SE, nlme's df
    # of the time term
    b <- fixef(fit)
    Vb <- as.matrix(vcov(fit))
    lc <- function(L) {
      est <- sum(L * b); se <- sqrt(drop(t(L) %*% Vb %*% L)); dft <- df[["time"]]
      q <- qt(0.975, dft)
      data.frame(estimate = est, se = se, df = dft, ci_low = est - q * se,
                 ci_high = est + q * se, p_value = 2 * pt(-abs(est / se), dft))
    }
    sl <- list()
    for (g in cfg$GROUPS) {
      L <- setNames(rep(0, length(b)), names(b)); L["time"] <- 1
      if (g != cfg$GROUPS[1]) L[paste0("time:group", g)] <- 1
      sl[[length(sl) + 1]] <- cbind(data.frame(kind = "slope", group = g), lc(L))
      if (g != cfg$GROUPS[1]) {
        L <- setNames(rep(0, length(b)), names(b)); L[paste0("time:group", g)] <- 1
        sl[[length(sl) + 1]] <- cbind(data.frame(kind = "difference", group = g), lc(L))
      }
    }
    slopes[[length(slopes) + 1]] <- cbind(
      data.frame(measure = measure, scale = "identity", model = model,
                 stringsAsFactors = FALSE),
      do.call(rbind, sl), reference = cfg$GROUPS[1], n_patients = nlevels(m$patient_id),
      n_obs = nrow(m), row.names = NULL)
    out[[length(out) + 1]] <- cbind(
      data.frame(measure = measure, scale = "identity", model = model,
                 stringsAsFactors = FALSE),
      rows,
      data.frame(n_patients = nlevels(m$patient_id), n_obs = nrow(m),
                 reml_loglik = as.numeric(logLik(fit, REML = TRUE)), converged = TRUE),
      row.names = NULL)
  }
  list(lab_mixed = do.call(rbind, out), lab_slopes = do.call(rbind, slopes))
}

# ------------------------------------------------------------------------- driver
shortest <- function(x) vapply(x, function(v) {
  if (is.na(v)) return(NA_character_)
  if (!is.finite(v)) return(if (v > 0) "Inf" else "-Inf")
  for (k in 15:17) { s <- formatC(v, digits = k, format = "g"); if (as.numeric(s) == v) break }
  trimws(s)
}, character(1))

write_tab <- function(x, dir, name) {
  dir.create(dir, showWarnings = FALSE, recursive = TRUE)
  text <- which(vapply(x, function(col) is.character(col) || is.factor(col), logical(1)))
  x[] <- lapply(x, function(col) if (is.double(col)) shortest(col) else col)
  write.csv(x, file.path(dir, paste0(name, ".csv")), row.names = FALSE, na = "",
            quote = if (length(text)) unname(text) else FALSE, fileEncoding = "UTF-8")
}

analyse <- function(file, mapfile, outdir, LANDMARKS, MIXED) {
  r <- read_mapped(file, mapfile)
  cfg <- list(GROUPS = r$GROUPS, MEASURES = r$MEASURES, LANDMARKS = LANDMARKS,
              pass = r$pass, MIXED = MIXED)
  P <- r$P
  V <- r$V
  # no visit within 1e-6 months of a window edge (the 1e-9 tolerance decides nothing)
  for (L in c(0, LANDMARKS)) {
    e <- abs(abs(V$month - L) - WINDOW)
    stopifnot(all(e > 1e-6))
  }
  stopifnot(all(diff(c(0, LANDMARKS)) > 2 * WINDOW))   # no visit serves two landmarks
  tabs <- c(list(landmark_visits = landmark_visits_table(P, V, LANDMARKS),
                 paired_changes = paired_tables(P, V, cfg),
                 change_between_groups = change_between_table(P, V, cfg),
                 repeated_measures = friedman_table(P, V, cfg),
                 repeated_pairwise = pairwise_table(P, V, cfg)),
            ttr_tables(P, cfg),
            list(table1 = table1_table(P, V, cfg)),
            lab_mixed_table(V, cfg))
  for (nm in names(tabs)) write_tab(tabs[[nm]], outdir, nm)
  pc <- tabs$paired_changes
  cb <- tabs$change_between_groups
  for (i in seq_len(nrow(cb))) {
    k <- pc$measure == cb$measure[i] & pc$month == cb$month[i]
    stopifnot(cb$n_a[i] == pc$n_pairs[k & pc$group == cb$group_a[i]],
              cb$n_b[i] == pc$n_pairs[k & pc$group == cb$group_b[i]])
  }
  cat(sprintf("\n== %s: %d patients, %d visits, %d invalid values set to missing; groups %s; measures %s ==\n",
              basename(file), nrow(P), nrow(V), r$n_dropped,
              paste(sprintf("%s %d", cfg$GROUPS, table(factor(P$group, cfg$GROUPS))),
                    collapse = ", "), paste(cfg$MEASURES, collapse = ", ")))
  s <- tabs$ttr_summary
  cat("  median time (95% CI):", paste(sprintf("%s %s (%s-%s)", s$group,
                                              signif(s$median_time, 4),
                                              signif(s$median_ci_low, 4),
                                              signif(s$median_ci_high, 4)),
                                      collapse = "; "), "\n")
  cat(sprintf("  log-rank chisq %.4f df %d p %.4g\n", tabs$ttr_tests$statistic,
              tabs$ttr_tests$df, tabs$ttr_tests$p_value))
  cx <- tabs$cox
  cat("  Cox:", paste(sprintf("%s HR %.4f [%.4f, %.4f] p %.4g", cx$term, cx$hr, cx$ci_low,
                               cx$ci_high, cx$p_value), collapse = "; "), "\n")
  t1 <- tabs$table1
  cat("  table1:", paste(unique(sprintf("%s %s p %.4g", t1$variable, t1$test, t1$p_value)),
                         collapse = "; "), "\n")
  invisible(tabs)
}

analyse("actg175_wide.csv", "actg175_wide.mapping.json", file.path("expected", "actg175"),
        LANDMARKS = c(20, 96) * 12 / 52, MIXED = "cd4")
analyse("pbcseq_long.csv", "pbcseq_long.mapping.json", file.path("expected", "pbcseq"),
        LANDMARKS = c(6, 12), MIXED = c("albumin", "bilirubin"))
cat(sprintf("\nR %s, survival %s, lme4 %s, nlme %s\n", getRversion(),
            packageVersion("survival"), packageVersion("lme4"), packageVersion("nlme")))
