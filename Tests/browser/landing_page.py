"""Opens a scan page in headless Chromium at a phone viewport, as a consumer would.

usage: landing_page.py URL SCREENSHOT.png [LANGUAGE]

Checks that the page renders (verdict, product details, fits a 390 px wide screen), presses the
location button with a granted, emulated position (Shanghai), waits for the post to succeed, writes
a screenshot, then rates the item 4 with a comment too long (the answer is the form again, read and
screenshot), puts the comment right there and reads the thank-you page. Prints one JSON line with what it saw; exits non-zero on any failure.
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
    verdict = driver.find_element(By.ID, "verdict")
    seen = {
        "verdict": verdict.get_attribute("data-verdict"),
        "headline": driver.find_element(By.TAG_NAME, "h1").text,
        "lang": driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
        "details": [e.text for e in driver.find_elements(By.TAG_NAME, "dd")],
        "scrollWidth": driver.execute_script("return document.documentElement.scrollWidth"),
        "viewportWidth": driver.execute_script("return window.innerWidth"),
    }
    button = driver.find_element(By.ID, "locate")
    assert button.is_displayed(), "the location button is hidden"
    button.click()
    status = driver.find_element(By.ID, "location-status")
    WebDriverWait(driver, 10).until(lambda d: status.get_attribute("data-state"))
    seen["locationState"] = status.get_attribute("data-state")
    seen["locationText"] = status.text
    driver.save_screenshot(screenshot)
    # A comment over the limit (the textarea's maxlength lifted, as a browser that ignores it would send):
    # the form comes back in the page's style, the star still chosen, the problem beside the comment.
    driver.find_element(By.CSS_SELECTOR, "form.feedback input[name=rating][value='4']").click()
    area = driver.find_element(By.CSS_SELECTOR, "form.feedback textarea[name=comment]")
    driver.execute_script("arguments[0].removeAttribute('maxlength'); arguments[0].value = arguments[1]", area, "x" * 501)
    driver.find_element(By.CSS_SELECTOR, "form.feedback button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "error-comment"))
    radios = driver.find_elements(By.CSS_SELECTOR, "form.feedback input[name=rating]")
    seen["again"] = {
        "error": driver.find_element(By.ID, "error-comment").text,
        "chosen": [r.get_attribute("value") for r in radios if r.is_selected()],
        "starRows": len({r.location["y"] for r in radios}),
        "fits": driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"),
        "comment": len(driver.find_element(By.CSS_SELECTOR, "form.feedback textarea[name=comment]").get_attribute("value")),
    }
    driver.save_screenshot(screenshot.replace(".png", "-again.png"))
    # Put right on the answer page, the form is sent from there.
    area = driver.find_element(By.CSS_SELECTOR, "form.feedback textarea[name=comment]")
    area.clear()
    area.send_keys("Fresh <b>taste</b>, 好喝")
    driver.find_element(By.CSS_SELECTOR, "form.feedback button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "thanks"))
    seen["feedbackReply"] = driver.find_element(By.ID, "thanks").text
    # The thanks page has the scan page's style and the way back to the product.
    seen["backLink"] = driver.find_element(By.ID, "back").get_attribute("href")
    print(json.dumps(seen, ensure_ascii=False))
finally:
    driver.quit()
