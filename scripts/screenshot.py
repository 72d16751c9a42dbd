"""Screenshot a page of a preview site (or any local HTML page) in headless Chromium.

    python scripts/screenshot.py PAGE.html OUT.png [--width 1400] [--height 1000] [--click CSS ...]

``--click`` clicks the elements a CSS selector finds first (e.g. a heatmap choice) before the
shot. Needs chromium, chromedriver and selenium (``./install.sh --dev``). The docs' pictures
(docs/images/preview-*.png) were made with it; the commands are in docs/preview.md.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("page")
    ap.add_argument("out")
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--click", nargs="*", default=[], metavar="CSS")
    args = ap.parse_args(argv)
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    options = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", f"--window-size={args.width},{args.height}",
                "--disable-dev-shm-usage", "--hide-scrollbars"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        driver.get(Path(args.page).resolve().as_uri())
        for css in args.click:
            driver.find_element(By.CSS_SELECTOR, css).click()
        driver.save_screenshot(args.out)
    finally:
        driver.quit()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
