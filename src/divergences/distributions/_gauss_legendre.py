"""Ten-point Gauss-Legendre nodes and weights on [-1, 1], for the smooth integrals of the
closed forms (the Bregman divergences of log I0 and of log(sinh(y)/y), the difference of two
Bregman divergences of log Gamma in :mod:`._lopsided`): they integrate a function analytic
within a Bernstein ellipse of parameter rho to about rho^-20 (a segment a quarter of the
analytic radius wide: 4^-20)."""

GL_NODES = (-0.9739065285171717, -0.8650633666889845, -0.6794095682990244, -0.4333953941292472,
            -0.14887433898163122, 0.14887433898163122, 0.4333953941292472,
            0.6794095682990244, 0.8650633666889845, 0.9739065285171717)
GL_WEIGHTS = (0.06667134430868814, 0.1494513491505804, 0.219086362515982, 0.2692667193099965,
              0.2955242247147528, 0.2955242247147528, 0.2692667193099965,
              0.219086362515982, 0.1494513491505804, 0.06667134430868814)
# The same rule moved to [0, 1]: (node, weight) pairs.
GL_UNIT = tuple(((x + 1.0) / 2.0, w / 2.0) for x, w in zip(GL_NODES, GL_WEIGHTS, strict=True))
