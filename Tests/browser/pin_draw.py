"""A phone types the hidden PIN on the scan page: first a wrong one (the form again, with the tries
left), then the right one (the page again, showing the draw). Writes a screenshot of each step.

usage: pin_draw.py URL WRONG_PIN RIGHT_PIN OUT_DIR LANGUAGE
Prints one JSON object; exits non-zero on failure.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phone import phone_browser  # noqa: E402
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

url, wrong, right, out, language = sys.argv[1:6]
driver = phone_browser(language)
seen = {}
try:
    driver.get(url)
    draw = driver.find_element(By.CSS_SELECTOR, ".draw")
    seen["before"] = draw.get_attribute("data-result")
    field = driver.find_element(By.CSS_SELECTOR, "form.pin input[name=pin]")
    seen["label"] = driver.find_element(By.CSS_SELECTOR, "form.pin label").text
    seen["inputmode"] = field.get_attribute("inputmode")
    seen["fits"] = driver.execute_script("return document.documentElement.scrollWidth") <= driver.execute_script("return window.innerWidth")
    driver.save_screenshot(f"{out}/pin-form-{language}.png")
    field.send_keys(wrong)
    driver.find_element(By.CSS_SELECTOR, "form.pin button").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.ID, "error-pin")))
    seen["wrong"] = driver.find_element(By.ID, "error-pin").text
    driver.save_screenshot(f"{out}/pin-wrong-{language}.png")
    driver.find_element(By.CSS_SELECTOR, "form.pin input[name=pin]").send_keys(right)
    driver.find_element(By.CSS_SELECTOR, "form.pin button").click()
    WebDriverWait(driver, 10).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".draw.won")))
    seen["after"] = driver.find_element(By.CSS_SELECTOR, ".draw").get_attribute("data-result")
    seen["heading"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["message"] = driver.find_element(By.CSS_SELECTOR, ".draw p").text
    seen["claimForm"] = len(driver.find_elements(By.CSS_SELECTOR, "form.claim"))
    driver.save_screenshot(f"{out}/pin-drawn-{language}.png")
except Exception:
    print(driver.page_source[:3000], file=sys.stderr)
    raise
finally:
    driver.quit()
print(json.dumps(seen, ensure_ascii=False))
