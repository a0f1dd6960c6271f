#!/usr/bin/env Rscript
# Write pbcseq_long.csv: survival::pbcseq (Mayo Clinic primary biliary cholangitis trial,
# sequential laboratory visits) as a hepatology clinic would export it: one row per visit,
# patient columns repeated on every row, hospital-style headers with units.
#
# Source: R package survival (LGPL >= 2), data set pbcseq (Murtaugh et al., Hepatology
# 1994;20:126-34; Therneau & Grambsch 2000). Only reshaped: renamed headers, codes written
# as text (trt 1 = D-penicillamine, 0 = placebo; sex f/m; status 0/1/2 as text), a 0/1
# "Died" column (status == 2: death; a liver transplant, status 1, is censoring here) and
# the rows sorted by patient and visit day. No value is changed.
#
# Usage (from this folder): Rscript make_pbcseq.R   (writes pbcseq_long.csv)

suppressPackageStartupMessages(library(survival))
d <- survival::pbcseq
stopifnot(nrow(d) == 1945, length(unique(d$id)) == 312, !anyDuplicated(d[, c("id", "day")]))
d <- d[order(d$id, d$day), ]
status_text <- c("alive", "liver transplant", "death")
out <- data.frame(
  "Patient No" = sprintf("PBC%03d", d$id),
  "Treatment" = ifelse(d$trt == 1, "D-penicillamine", "Placebo"),
  "Sex" = as.character(d$sex),
  "Age (years)" = d$age,
  "Visit day" = d$day,
  "T-bil (mg/dL)" = d$bili,
  "Albumin (g/dL)" = d$albumin,
  "ALP (U/L)" = d$alk.phos,
  "AST (U/mL)" = d$ast,
  "Platelets (10^3/uL)" = d$platelet,
  "Prothrombin time (s)" = d$protime,
  "T-chol (mg/dL)" = d$chol,
  "Ascites" = d$ascites,
  "Hepatomegaly" = d$hepato,
  "Spiders" = d$spiders,
  "Edema" = d$edema,
  "Histologic stage" = d$stage,
  "Follow-up (days)" = d$futime,
  "Status at last contact" = status_text[d$status + 1],
  "Died" = as.integer(d$status == 2),
  check.names = FALSE, stringsAsFactors = FALSE)
# full precision, shortest text that reads back to the same double (age is days / 365.25)
shortest <- function(x) vapply(x, function(v) {
  if (is.na(v)) return(NA_character_)
  for (k in 15:17) { s <- formatC(v, digits = k, format = "g"); if (as.numeric(s) == v) break }
  trimws(s)
}, character(1))
num <- vapply(out, is.double, logical(1))
out[num] <- lapply(out[num], shortest)
write.csv(out, "pbcseq_long.csv", row.names = FALSE, na = "", quote = FALSE,
          fileEncoding = "UTF-8")
back <- read.csv("pbcseq_long.csv", check.names = FALSE, na.strings = "")
stopifnot(identical(back$`Age (years)`, d$age), identical(back$`T-bil (mg/dL)`, d$bili),
          identical(back$`AST (U/mL)`, d$ast), identical(back$`Albumin (g/dL)`, d$albumin))
