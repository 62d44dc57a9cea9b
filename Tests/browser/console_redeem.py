"""A store clerk redeems a prize on a phone-sized console screen, in headless Chromium.

usage: console_redeem.py BASE_URL REDEMPTION_CODE ARTIFACTS_DIR

Signs in as `carl` (clerk), types the code (lower case, with spaces, as people type), checks it, redeems it,
then checks it again (it says redeemed already). Prints one JSON line of what it saw; non-zero on any failure.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from phone import phone_browser  # noqa: E402
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, code, artifacts = sys.argv[1], sys.argv[2], sys.argv[3]
seen = {}


def wait_for(driver, element_id):
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, element_id))
    return driver.find_element(By.ID, element_id)


driver = phone_browser("en")
try:
    driver.get(base + "/console")
    driver.find_element(By.ID, "name").send_keys("carl")
    driver.find_element(By.ID, "password").send_keys("clerk password 1")
    driver.find_element(By.ID, "sign-in").click()
    wait_for(driver, "redeem-form")
    seen["landed"] = driver.current_url
    seen["nav"] = [a.get_attribute("id") for a in driver.find_elements(By.CSS_SELECTOR, "nav.areas a")]
    seen["storeField"] = bool(driver.find_elements(By.ID, "redeem-store"))
    typed = " ".join(code[i:i + 4] for i in range(0, len(code), 4)).lower()
    driver.find_element(By.ID, "redemption-code").send_keys(typed)
    driver.find_element(By.ID, "check-button").click()
    prize = wait_for(driver, "redeem-button")
    seen["prize"] = driver.find_element(By.CSS_SELECTOR, "#prize h2").text
    seen["fits"] = driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    driver.save_screenshot(f"{artifacts}/console-redeem-check.png")
    prize.click()
    seen["done"] = wait_for(driver, "redeemed").text
    driver.save_screenshot(f"{artifacts}/console-redeem-done.png")
    driver.find_element(By.ID, "redemption-code").send_keys(code)
    driver.find_element(By.ID, "check-button").click()
    seen["again"] = wait_for(driver, "already").text
    seen["againButton"] = bool(driver.find_elements(By.ID, "redeem-button"))
    driver.save_screenshot(f"{artifacts}/console-redeem-again.png")
finally:
    driver.quit()
print(json.dumps(seen, ensure_ascii=False))
