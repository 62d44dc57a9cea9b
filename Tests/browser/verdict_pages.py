"""Opens scan pages in headless Chromium at a phone viewport and writes a screenshot of each.

usage: verdict_pages.py LANGUAGE OUT_DIR NAME=URL ...

For each page: the verdict it shows, its headline and explanation, whether it fits a 390 px wide
screen, and which widgets it has (forms, buttons, their labels). Prints one JSON object; exits
non-zero on any failure.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

language, out = sys.argv[1], sys.argv[2]
pages = [argument.split("=", 1) for argument in sys.argv[3:]]

options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--lang={language}"):
    options.add_argument(argument)
options.add_experimental_option("prefs", {"intl.accept_languages": language})
options.add_experimental_option("mobileEmulation", {
    "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2},
    "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
})
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
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
        }
        driver.save_screenshot(f"{out}/verdict-{name}-{language}.png")
finally:
    driver.quit()
print(json.dumps(seen, ensure_ascii=False))
