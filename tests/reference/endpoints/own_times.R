# Reference numbers for tests/test_endpoints.py: the file's own times in days, used as they
# are (days / 30.4375 = months), Kaplan-Meier, log-rank and Cox (Efron) across three arms,
# reference arm ZDV. Run from this directory: Rscript own_times.R
library(survival)
d <- read.csv("own_times.csv", stringsAsFactors = FALSE)
p <- unique(d[!is.na(d$days), c("patient_id", "arm", "days", "event")])
p$time <- p$days / 30.4375
p$arm <- factor(p$arm, levels = c("ZDV", "ddI", "ZDV+ddI"))
fit <- survfit(Surv(time, event) ~ arm, data = p, conf.type = "log-log")
tab <- summary(fit)$table
med <- data.frame(group = sub("arm=", "", rownames(tab)), n = tab[, "records"],
                  n_events = tab[, "events"], median_time = tab[, "median"],
                  median_ci_low = tab[, "0.95LCL"], median_ci_high = tab[, "0.95UCL"])
write.csv(med, "expected_ttr_summary.csv", row.names = FALSE)
lr <- survdiff(Surv(time, event) ~ arm, data = p)
write.csv(data.frame(test = "log-rank", statistic = lr$chisq, df = length(lr$n) - 1,
                     p_value = pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE)),
          "expected_ttr_tests.csv", row.names = FALSE)
cx <- summary(coxph(Surv(time, event) ~ arm, data = p, ties = "efron",
                    control = coxph.control(eps = 1e-12, iter.max = 100)))
write.csv(data.frame(group = c("ddI", "ZDV+ddI"), hr = cx$conf.int[, 1],
                     ci_low = cx$conf.int[, 3], ci_high = cx$conf.int[, 4],
                     p_value = cx$coefficients[, 5]),
          "expected_cox.csv", row.names = FALSE)
