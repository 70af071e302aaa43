"""Write houses_train.csv and houses_test.csv: a small generated house-price table in the Kaggle layout.

    python ember/examples/data/make_houses.py      # (re)writes both files beside this script

Columns: Id, numeric LotArea, YearBuilt, OverallQual, GrLivArea, GarageCars (some missing), categorical
Neighborhood (some missing) and HouseStyle; the training file ends with SalePrice. The log price is a
fixed formula of the columns plus N(0, 0.1^2) noise, so a good model reaches a log-RMSE near 0.1.
"""
import os

import numpy as np
import pandas as pd

NEIGHBORHOODS = {"NAmes": 0.0, "CollgCr": 0.10, "OldTown": -0.15, "Edwards": -0.10, "NridgHt": 0.30,
                 "Somerst": 0.15}
STYLES = {"1Story": 0.0, "2Story": 0.05, "1.5Fin": -0.05, "SLvl": 0.02}


def make_table(n, rng, first_id):
    quality = rng.integers(1, 11, n)
    area = np.round(rng.lognormal(np.log(1500), 0.3, n) + 60 * quality)
    year = rng.integers(1900, 2011, n)
    lot = np.round(rng.lognormal(np.log(9000), 0.4, n))
    garage = rng.integers(0, 4, n).astype(float)
    hood = rng.choice(list(NEIGHBORHOODS), n)
    style = rng.choice(list(STYLES), n)
    log_price = (10.6 + 0.08 * quality + 0.45 * np.log(area / 1500) + 0.003 * (year - 1970)
                 + 0.1 * np.log(lot / 9000) + 0.05 * garage
                 + np.array([NEIGHBORHOODS[h] for h in hood]) + np.array([STYLES[s] for s in style])
                 + rng.normal(0, 0.1, n))
    table = pd.DataFrame({"Id": np.arange(first_id, first_id + n), "LotArea": lot.astype(int), "YearBuilt": year,
                          "OverallQual": quality, "GrLivArea": area.astype(int), "GarageCars": garage,
                          "Neighborhood": hood, "HouseStyle": style})
    # missing values, as in the Kaggle data: a few unknown garages and neighbourhoods
    table.loc[rng.random(n) < 0.05, "GarageCars"] = np.nan
    table.loc[rng.random(n) < 0.05, "Neighborhood"] = np.nan
    return table, np.round(np.exp(log_price)).astype(int)


def main(folder=os.path.dirname(os.path.abspath(__file__)), n_train=400, n_test=150, seed=0):
    rng = np.random.default_rng(seed)
    train, price = make_table(n_train, rng, first_id=1)
    train["SalePrice"] = price
    test, _ = make_table(n_test, rng, first_id=n_train + 1)
    train.to_csv(os.path.join(folder, "houses_train.csv"), index=False)
    test.to_csv(os.path.join(folder, "houses_test.csv"), index=False)


if __name__ == "__main__":
    main()
