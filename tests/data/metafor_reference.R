# Reference values for tests/test_metaanalysis*.py, computed once with R's metafor 3.8-1
# (Debian r-cran-metafor; R 4.x) on this machine:  Rscript tests/data/metafor_reference.R
# It also writes the CSV fixtures (exported from metafor's bundled datasets, package metadat).
# R is not available in CI: the tests hard-code these numbers, each with the call beside it.
suppressMessages(library(metafor))
out <- function(label, x) cat(label, ":", paste(sprintf("%.10g", x), collapse = " "), "\n")
# PM and REML: metafor stops its iterations when tau^2 changes by < 1e-5 (PM: uniroot tolerance); run to
# convergence (tol, threshold 1e-12) so that the reference is the exact root the course's code finds.
tight <- list(tol = 1e-12, threshold = 1e-12, maxiter = 1000)
fit_all <- function(name, yi, vi) {
  for (m in c("DL", "PM", "REML")) {
    for (t in c("z", "knha")) {
      r <- rma(yi, vi, method = m, test = t, control = if (m == "DL") list() else tight)
      p <- predict(r)
      out(sprintf("%s rma(method='%s', test='%s'%s) b se ci.lb ci.ub pval tau2 I2 H2 QE pi.lb pi.ub", name, m, t,
                  if (m == "DL") "" else ", control=tight"),
          c(r$b, r$se, r$ci.lb, r$ci.ub, r$pval, r$tau2, r$I2, r$H2, r$QE, p$pi.lb, p$pi.ub))
    }
  }
  r <- rma(yi, vi, method = "FE"); out(sprintf("%s rma(method='FE') b se QE I2", name), c(r$b, r$se, r$QE, r$I2))
  # metafor's defaults (iterations stopped at 1e-5), for comparison with the converged values above
  for (m in c("PM", "REML")) {
    r <- rma(yi, vi, method = m)
    out(sprintf("%s rma(method='%s') [default control] b se tau2 I2", name, m), c(r$b, r$se, r$tau2, r$I2))
  }
}

# ---- fixtures
if (!dir.exists("tests/data")) stop("run from the repository root")
write.csv(dat.nielweise2007, "tests/data/nielweise2007.csv", row.names = FALSE)
write.csv(dat.normand1999, "tests/data/normand1999.csv", row.names = FALSE)
write.csv(dat.hackshaw1998[, c("study", "author", "year", "country", "design", "cases", "or", "or.lb", "or.ub", "yi", "vi")],
          "tests/data/hackshaw1998.csv", row.names = FALSE)
write.csv(dat.hine1989, "tests/data/hine1989.csv", row.names = FALSE)
write.csv(dat.collins1985a[, c("id", "trial", "year", "nti", "b.xti", "nci", "b.xci")],
          "tests/data/collins1985a.csv", row.names = FALSE, na = "")

bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
niel <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.nielweise2007)
hack <- dat.hackshaw1998
norm <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
normmd <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)

# ---- 1. tau^2 estimators, Hartung-Knapp, prediction intervals
fit_all("bcg", bcg$yi, bcg$vi)
fit_all("niel", niel$yi, niel$vi)
fit_all("hack", hack$yi, hack$vi)
fit_all("normand_smd", norm$yi, norm$vi)
fit_all("issue14", c(0.1, 0.3, 0.2), c(0.01, 0.02, 0.015))

# ---- 2. effect sizes from summary data
out("normand escalc('MD') yi", normmd$yi); out("normand escalc('MD') vi", normmd$vi)
out("normand escalc('SMD') yi", norm$yi); out("normand escalc('SMD') vi", norm$vi)
cur <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.curtis1998[1:5, ])
out("curtis1998[1:5,] m1i sd1i n1i m2i sd2i n2i", unlist(dat.curtis1998[1:5, c("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")]))
out("curtis1998[1:5,] escalc('SMD') yi", cur$yi); out("curtis1998[1:5,] escalc('SMD') vi", cur$vi)
hine <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989)
out("hine escalc('RD') yi", hine$yi); out("hine escalc('RD') vi", hine$vi)
nrd <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.nielweise2007)
out("niel escalc('RD') yi", nrd$yi); out("niel escalc('RD') vi", nrd$vi)

# ---- 3. publication bias: trim and fill, Egger's classic test
for (nm in c("hack", "bcg", "niel")) {
  d <- get(nm)
  for (m in c("FE", "DL", "REML")) for (e in c("L0", "R0")) {
    # REML: run to convergence (control = tight, also in trimfill's own refits) -- see fit_all above
    ctl <- if (m == "REML") tight else list()
    r <- rma(d$yi, d$vi, method = m, control = ctl)
    tf <- trimfill(r, estimator = e, control = ctl)
    out(sprintf("%s trimfill(rma(method='%s'), estimator='%s') k0 side(1=right) b se ci.lb ci.ub tau2 se.k0",
                nm, m, e), c(tf$k0, tf$side == "right", tf$b, tf$se, tf$ci.lb, tf$ci.ub, tf$tau2, tf$se.k0))
    if (tf$k0 > 0) out(sprintf("%s trimfill(method='%s', '%s') filled yi", nm, m, e), tf$yi[tf$fill])
  }
  rt <- regtest(rma(d$yi, d$vi, method = "FE"), model = "lm")
  out(sprintf("%s regtest(rma(method='FE'), model='lm') t df p limit", nm), c(rt$zval, rt$dfs, rt$pval, rt$est))
  cf <- coef(summary(rt$fit))
  out(sprintf("%s coef(summary(regtest(rma(method='FE'), model='lm')$fit)) intercept, se; slope on sei, se", nm),
      c(cf[1, 1], cf[1, 2], cf[2, 1], cf[2, 2]))
  # the classic form (Egger et al. 1997): OLS of yi/sei on 1/sei; its intercept is the bias coefficient
  eg <- coef(summary(lm(I(d$yi / sqrt(d$vi)) ~ I(1 / sqrt(d$vi)))))
  out(sprintf("%s coef(summary(lm(yi/sei ~ 1/sei))) intercept, se, t, p", nm), eg[1, ])
  rt2 <- regtest(rma(d$yi, d$vi, method = "DL"))
  out(sprintf("%s regtest(rma(method='DL')) z p limit", nm), c(rt2$zval, rt2$pval, rt2$est))
}

# ---- 4. leave-one-out and influence
for (nm in c("bcg", "normand_smd", "niel")) {
  d <- switch(nm, bcg = bcg, normand_smd = norm, niel = niel)
  for (m in c("DL", "REML")) {
    # REML with control = tight (leave1out and influence refit with the model's control)
    r <- rma(d$yi, d$vi, method = m, control = if (m == "REML") tight else list())
    l <- leave1out(r)
    for (col in c("estimate", "se", "ci.lb", "ci.ub", "pval", "Q", "tau2", "I2"))
      out(sprintf("%s leave1out(rma(method='%s'))$%s", nm, m, col), l[[col]])
    inf <- influence(r)
    for (col in c("rstudent", "dffits", "cook.d", "cov.r", "tau2.del", "QE.del", "hat", "weight"))
      out(sprintf("%s influence(rma(method='%s'))$inf$%s", nm, m, col), inf$inf[[col]])
    out(sprintf("%s influence(rma(method='%s'))$dfbs$intrcpt", nm, m), inf$dfbs$intrcpt)
    out(sprintf("%s influence(rma(method='%s'))$is.infl", nm, m), as.numeric(inf$is.infl))
  }
  r <- rma(d$yi, d$vi, method = "REML", test = "knha", control = tight)
  l <- leave1out(r); out(sprintf("%s leave1out(rma(method='REML', test='knha'))$ci.lb", nm), l$ci.lb)
  inf <- influence(r)
  for (col in c("rstudent", "dffits", "cook.d", "cov.r"))
    out(sprintf("%s influence(rma(method='REML', test='knha'))$inf$%s", nm, col), inf$inf[[col]])
  out(sprintf("%s influence(rma(method='REML', test='knha'))$dfbs$intrcpt", nm), inf$dfbs$intrcpt)
}

# ---- 5. 2x2 tables: Mantel-Haenszel and Peto
col <- dat.collins1985a[!is.na(dat.collins1985a$b.xti), ]
tabs <- list(
  bcg = with(dat.bcg, list(ai = tpos, n1i = tpos + tneg, ci = cpos, n2i = cpos + cneg)),
  niel = with(dat.nielweise2007, list(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  hine = with(dat.hine1989, list(ai = ai, n1i = n1i, ci = ci, n2i = n2i)),
  collins = with(col, list(ai = b.xti, n1i = nti, ci = b.xci, n2i = nci)))
for (nm in names(tabs)) {
  x <- tabs[[nm]]
  for (ms in c("OR", "RR", "RD")) {
    r <- rma.mh(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i, measure = ms)
    out(sprintf("%s rma.mh(measure='%s') b se ci.lb ci.ub pval QE QEp I2 k", nm, ms),
        c(r$b, r$se, r$ci.lb, r$ci.ub, r$pval, r$QE, r$QEp, r$I2, r$k))
    if (ms == "OR") out(sprintf("%s rma.mh(measure='OR') CMH CMHp", nm), c(r$CO, r$COp))
  }
  r <- rma.peto(ai = x$ai, n1i = x$n1i, ci = x$ci, n2i = x$n2i)
  out(sprintf("%s rma.peto() b se ci.lb ci.ub pval QE QEp I2 k", nm),
      c(r$b, r$se, r$ci.lb, r$ci.ub, r$pval, r$QE, r$QEp, r$I2, r$k))
}

# ---- 6. REML where Fisher scoring struggles (two made-up sets of 8 and 5 studies, found by a random search)
y19 <- c(-0.220278, -0.039617, 0.131952, -0.667665, 0.579059, -0.391101, -0.423947, 0.057232)
v19 <- c(0.215150, 0.234221, 0.082684, 0.594051, 0.522285, 0.487174, 0.032066, 0.346424)
# rma(y19, v19, method = "REML") stops with "Fisher scoring algorithm did not converge"; the remedy in help(rma):
r <- rma(y19, v19, method = "REML", control = list(stepadj = 0.5, threshold = 1e-12, maxiter = 10000))
out("oscillating rma(method='REML', control=list(stepadj=0.5)) tau2 b se", c(r$tau2, r$b, r$se))
y932 <- c(-0.019435, 0.074833, -0.044065, -0.316712, 1.087490)
v932 <- c(0.029369, 0.337654, 0.019284, 0.320420, 0.179786)
# metafor warns "Fisher scoring algorithm may have gotten stuck at a local maximum. Setting tau^2 = 0."
r <- suppressWarnings(rma(y932, v932, method = "REML", control = list(threshold = 1e-12, maxiter = 1000)))
out("bimodal rma(method='REML') tau2 b", c(r$tau2, r$b))
