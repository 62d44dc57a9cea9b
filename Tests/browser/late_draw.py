"""A phone in a region-scoped campaign's region, with no GeoIP on the server: the scan page shows no draw;
sharing the location (emulated, Shanghai) draws, and the page reloads to show the prize.

usage: late_draw.py URL SCREENSHOT.png [LANGUAGE]

Prints one JSON line with what it saw; exits non-zero on any failure.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phone import grant_location, phone_browser  # noqa: E402
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, screenshot = sys.argv[1], sys.argv[2]
language = sys.argv[3] if len(sys.argv) > 3 else "en"

driver = phone_browser(language)
try:
    grant_location(driver, url)
    driver.get(url)
    seen = {"before": len(driver.find_elements(By.CSS_SELECTOR, "[data-result]"))}
    driver.find_element(By.ID, "locate").click()
    WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, "[data-result]"))
    draw = driver.find_element(By.CSS_SELECTOR, "[data-result]")
    seen["after"] = draw.get_attribute("data-result")
    seen["claimForm"] = len(driver.find_elements(By.CSS_SELECTOR, "form.claim"))
    seen["text"] = draw.text
    driver.save_screenshot(screenshot)
    print(json.dumps(seen, ensure_ascii=False))
finally:
    driver.quit()
