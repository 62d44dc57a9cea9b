"""Opens a scan page in headless Chromium at a phone viewport, as a consumer would.

usage: landing_page.py URL SCREENSHOT.png [LANGUAGE]

Checks that the page renders (verdict, product details, fits a 390 px wide screen), presses the
location button with a granted, emulated position (Shanghai), waits for the post to succeed, writes
a screenshot, then rates the item 4 with a comment through the feedback form and reads the thank-you
page. Prints one JSON line with what it saw; exits non-zero on any failure.
"""
import json
import sys
from urllib.parse import urlparse

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

url, screenshot = sys.argv[1], sys.argv[2]
language = sys.argv[3] if len(sys.argv) > 3 else "en"

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
try:
    origin = "{0.scheme}://{0.netloc}".format(urlparse(url))
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["geolocation"]})
    driver.execute_cdp_cmd("Emulation.setGeolocationOverride", {"latitude": 31.2304, "longitude": 121.4737, "accuracy": 10})
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
    driver.find_element(By.CSS_SELECTOR, "form.feedback input[name=rating][value='4']").click()
    driver.find_element(By.CSS_SELECTOR, "form.feedback textarea[name=comment]").send_keys("Fresh <b>taste</b>, 好喝")
    driver.find_element(By.CSS_SELECTOR, "form.feedback button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "thanks"))
    seen["feedbackReply"] = driver.find_element(By.ID, "thanks").text
    # The thanks page has the scan page's style and the way back to the product.
    seen["backLink"] = driver.find_element(By.ID, "back").get_attribute("href")
    print(json.dumps(seen, ensure_ascii=False))
finally:
    driver.quit()
