"""Uses the console in headless Chromium at 1280 px, as staff would, and screenshots each page.

usage: console.py BASE_URL ARTIFACTS_DIR CODE

Signs in as `alice` (admin): the overview, the users page (a user added with a wrong name, the error beside
the field, then right), the audit log; then in Chinese. Signs in as `mona` (marketing): the overview, no
admin part, the admin page refused. Prints one JSON line of what it saw; exits non-zero on any failure.
"""
import json
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, artifacts, code = sys.argv[1], sys.argv[2], sys.argv[3]


def desktop_browser(language="en"):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", f"--lang={language}",
                     "--window-size=1280,1000"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def sign_in(driver, name, password):
    driver.get(base + "/console")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.ID, "signed-in-as") or d.find_elements(By.ID, "login-error"))
    errors = driver.find_elements(By.ID, "login-error")
    assert not errors, f"sign-in as {name} refused: {errors[0].text}"


def click_and_wait(driver, element_id, until_id):
    """Clicks and waits for the next page (one with `until_id`)."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, element_id).click()
    WebDriverWait(driver, 10).until(lambda d: d.find_element(By.TAG_NAME, "html") != old and d.find_elements(By.ID, until_id))


def shot(driver, name):
    # The whole page, not only the window: the page's height from the document.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, max(800, min(height + 120, 4000)))
    driver.save_screenshot(f"{artifacts}/{name}.png")


seen = {}
driver = desktop_browser()
try:
    driver.get(base + "/console")
    seen["login"] = {"url": driver.current_url, "title": driver.title}
    shot(driver, "console-login")
    sign_in(driver, "alice", "correct horse battery")
    seen["adminLanded"] = driver.current_url
    seen["adminNav"] = [a.get_attribute("id") for a in driver.find_elements(By.CSS_SELECTOR, "nav.areas a")]
    seen["figures"] = {e.get_attribute("id"): e.find_element(By.CLASS_NAME, "big").text for e in driver.find_elements(By.CSS_SELECTOR, ".figure")}
    seen["batchRows"] = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#batches tbody tr")]
    seen["chartBars"] = len(driver.find_elements(By.CSS_SELECTOR, "#daily-chart svg rect.bar"))
    seen["styled"] = driver.execute_script("return getComputedStyle(document.querySelector('.card')).borderRadius")
    shot(driver, "console-overview")
    click_and_wait(driver, "nav-codes", "lookup-form")
    driver.find_element(By.ID, "q").send_keys(code.lower())
    click_and_wait(driver, "lookup-button", "code-report")
    seen["lookup"] = {"verdict": driver.find_element(By.ID, "code-verdict").text,
                      "scans": len(driver.find_elements(By.CSS_SELECTOR, "#code-scans tbody tr"))}
    shot(driver, "console-code-lookup")
    click_and_wait(driver, "nav-products", "issue-form")
    shot(driver, "console-products")
    count = driver.find_element(By.ID, "issue-count")
    count.clear()
    count.send_keys("12")
    driver.find_element(By.ID, "issue-lot").send_keys("L-9")
    driver.find_element(By.CSS_SELECTOR, "#issue-qr option[value=pdf]").click()
    click_and_wait(driver, "issue-button", "batch-facts")
    seen["issued"] = {"status": driver.find_element(By.ID, "batch-facts").get_attribute("data-status"),
                      "notice": driver.find_element(By.ID, "notice").text}
    href = driver.find_element(By.ID, "download-package").get_attribute("href")
    seen["zip"] = driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch(arguments[0]).then(r => r.arrayBuffer().then(b => done({status: r.status, type: r.headers.get('content-type'),
            size: b.byteLength, magic: String.fromCharCode(...new Uint8Array(b.slice(0, 2)))}))).catch(e => done({error: String(e)}));
        """, href)
    shot(driver, "console-batch")
    click_and_wait(driver, "nav-admin", "add-user")
    driver.find_element(By.ID, "user-name").send_keys("x")
    driver.find_element(By.ID, "user-password").send_keys("long enough password")
    click_and_wait(driver, "add-user-button", "error-name")
    seen["nameError"] = driver.find_element(By.ID, "error-name").text
    shot(driver, "console-users-error")
    field = driver.find_element(By.ID, "user-name")
    field.clear()
    field.send_keys("sam")
    driver.find_element(By.CSS_SELECTOR, "#user-role option[value=sales]").click()
    driver.find_element(By.ID, "user-password").send_keys("long enough password")
    click_and_wait(driver, "add-user-button", "notice")
    seen["notice"] = driver.find_element(By.ID, "notice").text
    seen["users"] = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#user-list tbody tr")]
    shot(driver, "console-users")
    click_and_wait(driver, "to-audit", "audit-log")
    seen["audit"] = [r.text for r in driver.find_elements(By.CSS_SELECTOR, "#audit-log tbody tr")]
    shot(driver, "console-audit")
    click_and_wait(driver, "to-tokens", "token-form")
    driver.find_element(By.ID, "token-name").send_keys("CRM export")
    click_and_wait(driver, "create-token", "token-secret")
    seen["tokenSecret"] = len(driver.find_element(By.ID, "token-secret-value").text)
    shot(driver, "console-tokens")
    click_and_wait(driver, "to-webhooks", "webhook-list")
    shot(driver, "console-webhooks")
    click_and_wait(driver, "to-security", "second-factor-enable")
    shot(driver, "console-security")
    click_and_wait(driver, "nav-regions", "regions-map")
    seen["mapProvinces"] = len(driver.find_elements(By.CSS_SELECTOR, "#regions-map svg path"))
    shot(driver, "console-regions")
    # Every other part, as the admin sees it.
    seen["pages"] = {}
    for area, marker in (("campaigns", "campaign-list"), ("stores", "store-list"), ("segments", "segment-list"),
                         ("leads", "leads-filter"), ("feedback", "feedback-filter"), ("redeem", "redeem-form")):
        click_and_wait(driver, f"nav-{area}", marker)
        seen["pages"][area] = driver.find_element(By.TAG_NAME, "h1").text
        shot(driver, f"console-{area}")
    click_and_wait(driver, "nav-overview", "scan-figures")
    click_and_wait(driver, "switch-language", "scan-figures")
    seen["zh"] = {"lang": driver.find_element(By.TAG_NAME, "html").get_attribute("lang"), "h1": driver.find_element(By.TAG_NAME, "h1").text}
    shot(driver, "console-overview-zh")
    click_and_wait(driver, "sign-out", "login-form")
    seen["signedOut"] = driver.current_url
finally:
    driver.quit()

driver = desktop_browser()
try:
    sign_in(driver, "mona", "marketing pass 1")
    seen["marketingNav"] = [a.get_attribute("id") for a in driver.find_elements(By.CSS_SELECTOR, "nav.areas a")]
    driver.get(base + "/console/admin/users")
    seen["marketingAdmin"] = driver.find_element(By.CSS_SELECTOR, "#message p").text
    # A campaign by form: a probability over 1 is named beside its tier, then put right.
    driver.get(base + "/console/campaigns")
    driver.find_element(By.ID, "c-name").send_keys("Winter")
    for field, value in (("c-start", "01012020"), ("c-end", "01012099")):
        element = driver.find_element(By.ID, field)
        driver.execute_script("arguments[0].value = arguments[1]", element, "2020-01-01T00:00" if field == "c-start" else "2099-01-01T00:00")
    driver.find_element(By.CSS_SELECTOR, "#c-status option[value=live]").click()
    for field, value in (("tier0-name", "Free bottle"), ("tier0-value", "1"), ("tier0-probability", "1.5"), ("tier0-stock", "100")):
        driver.find_element(By.ID, field).send_keys(value)
    click_and_wait(driver, "campaign-button", "error-tier0")
    seen["campaignError"] = driver.find_element(By.ID, "error-tier0").text
    shot(driver, "console-campaign-error")
    probability = driver.find_element(By.ID, "tier0-probability")
    probability.clear()
    probability.send_keys("0.5")
    click_and_wait(driver, "campaign-button", "campaign-stock")
    seen["campaign"] = driver.find_element(By.ID, "campaign-facts").get_attribute("data-status")
    shot(driver, "console-campaign")
    # A segment by the builder: a wrong number named beside its condition, then right; its JSON shown.
    click_and_wait(driver, "nav-segments", "segment-form")
    driver.find_element(By.ID, "g-name").send_keys("Regulars")
    driver.find_element(By.ID, "g-scans-atleast").send_keys("0")
    driver.find_element(By.ID, "g-scans-days").send_keys("30")
    click_and_wait(driver, "segment-save", "error-scans")
    seen["segmentError"] = driver.find_element(By.ID, "error-scans").text
    at_least = driver.find_element(By.ID, "g-scans-atleast")
    at_least.clear()
    at_least.send_keys("1")
    driver.find_element(By.CSS_SELECTOR, "#g-consent option[value=yes]").click()
    click_and_wait(driver, "segment-save", "segment-facts")
    seen["segment"] = {"json": driver.find_element(By.ID, "segment-json").text, "notice": driver.find_element(By.ID, "notice").text,
                       "chart": len(driver.find_elements(By.CSS_SELECTOR, "#segment-chart svg"))}
    shot(driver, "console-segment")
finally:
    driver.quit()

print(json.dumps(seen, ensure_ascii=False))
