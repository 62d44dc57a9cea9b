"""Opens scan pages in headless Chromium at a phone viewport and writes a screenshot of each.

usage: verdict_pages.py LANGUAGE OUT_DIR NAME=URL ...

For each page: the verdict it shows, its headline and explanation, whether it fits a 390 px wide
screen, and which widgets it has (forms, buttons, their labels). Prints one JSON object; exits
non-zero on any failure.
"""
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phone import phone_browser  # noqa: E402
from selenium.webdriver.common.by import By

language, out = sys.argv[1], sys.argv[2]
pages = [argument.split("=", 1) for argument in sys.argv[3:]]

driver = phone_browser(language)
seen = {}
try:
    for name, url in pages:
        driver.get(url)
        verdict = driver.find_element(By.ID, "verdict")
        buttons = [b.text.strip() for b in driver.find_elements(By.TAG_NAME, "button") if b.is_displayed()]
        seen[name] = {
            "verdict": verdict.get_attribute("data-verdict"),
            "headline": driver.find_element(By.TAG_NAME, "h1").text,
            "explanation": verdict.find_element(By.TAG_NAME, "p").text,
            "lang": driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
            "fits": driver.execute_script("return document.documentElement.scrollWidth") <= driver.execute_script("return window.innerWidth"),
            "forms": len(driver.find_elements(By.TAG_NAME, "form")),
            "buttons": buttons,
            "details": [[dt.text, dd.text] for dt, dd in zip(driver.find_elements(By.TAG_NAME, "dt"), driver.find_elements(By.TAG_NAME, "dd"))],
        }
        driver.save_screenshot(f"{out}/verdict-{name}-{language}.png")
finally:
    driver.quit()
print(json.dumps(seen, ensure_ascii=False))
