<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="ja">
<context>
    <name>AgendaPack</name>
    <message>
        <location filename="../meetings.py" line="138"/>
        <source>議事と資料</source>
        <translation>Agenda and documents</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="170"/>
        <source>取り下げられました</source>
        <translation>Withdrawn</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="172"/>
        <source>受信中…</source>
        <translation>Receiving…</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="173"/>
        <source>&#x3000;更新版（第{v}版）</source>
        <translation> — updated (version {v})</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="174"/>
        <source>{n}ページ</source>
        <translation>{n} pages</translation>
    </message>
</context>
<context>
    <name>ErrorPresenter</name>
    <message>
        <location filename="../error_presenter.py" line="30"/>
        <source>サーバーにつながりません。</source>
        <translation>The server cannot be reached.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="31"/>
        <source>この端末にある資料はそのまま読めます。つながると自動で同期します。</source>
        <translation>You can keep reading what is on this device; it syncs by itself when the connection returns.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="36"/>
        <source>サーバーとの接続が切れました。</source>
        <translation>The connection to the server was lost.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="37"/>
        <source>自動でつなぎ直します。資料はそのまま読めます。</source>
        <translation>It reconnects by itself; you can keep reading.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="40"/>
        <source>この操作にはサーバーへの接続が必要です。</source>
        <translation>This needs a connection to the server.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="41"/>
        <source>接続が戻ってから、もう一度お試しください。</source>
        <translation>Please try again when the connection is back.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="44"/>
        <source>この操作は発表者だけができます。</source>
        <translation>Only the presenter can do this.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="45"/>
        <source>委員長に発表者の役割をお願いしてください。</source>
        <translation>Ask the chair for the presenter role.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="48"/>
        <source>この操作は許可されていません。</source>
        <translation>This is not allowed.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="49"/>
        <location filename="../error_presenter.py" line="101"/>
        <source>必要であれば議会事務局にお問い合わせください。</source>
        <translation>If you need it, please ask the council secretariat.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="52"/>
        <source>この会議の鍵がまだ届いていません。</source>
        <translation>The key for this meeting has not arrived yet.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="53"/>
        <source>届くと資料が自動で開けるようになります。</source>
        <translation>The documents open by themselves once it arrives.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="56"/>
        <source>この端末はまだ管理者の承認を待っています。</source>
        <translation>This device is still waiting for the administrator's approval.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="57"/>
        <source>承認されると自動で使えるようになります。</source>
        <translation>It is ready by itself once approved.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="60"/>
        <source>端末の保存領域がいっぱいです。</source>
        <translation>This device's storage is full.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="61"/>
        <source>不要なファイルを削除してから、もう一度お試しください。</source>
        <translation>Please delete files you no longer need and try again.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="66"/>
        <source>この資料は壊れていて開けません。</source>
        <translation>This document is damaged and cannot be opened.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="67"/>
        <source>議会事務局に差し替えをお願いしてください。</source>
        <translation>Please ask the council secretariat for a replacement.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="70"/>
        <source>この資料にはパスワードがかかっています。</source>
        <translation>This document is password-protected.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="71"/>
        <source>議会事務局にお問い合わせください。</source>
        <translation>Please contact the council secretariat.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="74"/>
        <source>このページを表示できませんでした。</source>
        <translation>This page could not be shown.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="75"/>
        <source>ほかのページは読めます。議会事務局にお知らせください。</source>
        <translation>The other pages can be read. Please tell the council secretariat.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="80"/>
        <source>パスフレーズが違います。</source>
        <translation>The passphrase is not right.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="81"/>
        <source>もう一度入力してください。</source>
        <translation>Please enter it again.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="86"/>
        <source>届いた資料の一つは確認に失敗したため、表示しません。</source>
        <translation>A document that arrived failed its check, so it is not shown.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="87"/>
        <source>改ざんや通信の不具合の可能性があります。議会事務局にお知らせください。</source>
        <translation>It may have been altered or damaged in transit. Please tell the council secretariat.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="94"/>
        <source>端末または通信の状態により、操作を完了できませんでした。</source>
        <translation>This could not be done because of the device or the connection.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="97"/>
        <source>しばらくしてから、もう一度お試しください。</source>
        <translation>Please try again in a little while.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="100"/>
        <source>この操作はできません。</source>
        <translation>This cannot be done.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="104"/>
        <source>受け取ったデータを確認できませんでした。</source>
        <translation>Data that arrived could not be verified.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="105"/>
        <source>議会事務局にお知らせください。</source>
        <translation>Please tell the council secretariat.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="108"/>
        <source>アプリの不具合で操作を完了できませんでした。</source>
        <translation>A fault in the app stopped this.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="109"/>
        <source>もう一度お試しください。続く場合はコードを添えて事務局にお知らせください。</source>
        <translation>Please try again; if it keeps happening, tell the secretariat with the code.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="1"/>
        <source>回復コードは、この端末ですでに作ってあります。</source>
        <translation>A recovery code was already made on this device.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="1"/>
        <source>書き留めたコードはそのまま使えます。なくした場合は、議会事務局にご相談ください。</source>
        <translation>The code you wrote down still works. If it is lost, please ask the council secretariat.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="1"/>
        <source>サーバーに、あなたのメモを戻すための鍵がありません。</source>
        <translation>The server keeps no key to bring back your notes.</translation>
    </message>
    <message>
        <location filename="../error_presenter.py" line="1"/>
        <source>回復コードは、メモのある端末で 設定 → 回復コードを作る をしたあとに使えます。わからないときは議会事務局にご相談ください。</source>
        <translation>A recovery code works once it was made on a device that holds your notes (Settings → Make a recovery code). If unsure, please ask the council secretariat.</translation>
    </message>
</context>
<context>
    <name>FollowBar</name>
    <message>
        <location filename="../bars.py" line="39"/>
        <source>戻る</source>
        <translation>Back</translation>
    </message>
    <message>
        <location filename="../bars.py" line="41"/>
        <source>委員長のページに戻る</source>
        <translation>Back to the chair's page</translation>
    </message>
    <message>
        <location filename="../bars.py" line="53"/>
        <source>発表はまだ始まっていません — 資料を自由に読めます</source>
        <translation>Nobody is presenting yet — read freely</translation>
    </message>
    <message>
        <location filename="../bars.py" line="56"/>
        <source>発表中 — 全員があなたのページを見ています</source>
        <translation>Presenting — everyone sees your page</translation>
    </message>
    <message>
        <location filename="../bars.py" line="59"/>
        <source>● {who}に追従中</source>
        <translation>● Following {who}</translation>
    </message>
    <message>
        <location filename="../bars.py" line="62"/>
        <source>{who}は{page}ページです</source>
        <translation>{who} is on page {page}</translation>
    </message>
    <message>
        <location filename="../bars.py"/>
        <source>{who}は別の資料の{page}ページです</source>
        <translation>{who} is on page {page} of another document</translation>
    </message>
    <message>
        <location filename="../bars.py" line="78"/>
        <source>委員長</source>
        <translation>the chair</translation>
    </message>
    <message>
        <location filename="../bars.py" line="79"/>
        <source>{name}さん</source>
        <translation>{name}</translation>
    </message>
    <message>
        <location filename="../bars.py"/>
        <source>一時停止中 — 皆さんは{page}ページ</source>
        <translation>Paused — everyone stays on page {page}</translation>
    </message>
    <message>
        <location filename="../bars.py"/>
        <source>発表に戻る</source>
        <translation>Resume presenting</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../window.py" line="106"/>
        <source>検索</source>
        <translation>Search</translation>
    </message>
    <message>
        <location filename="../window.py" line="131"/>
        <source>端末の承認…</source>
        <translation>Approve devices…</translation>
    </message>
    <message>
        <location filename="../window.py" line="177"/>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../window.py" line="179"/>
        <source>設定（言語・文字の大きさ・画面のロック）</source>
        <translation>Settings (language, text size, screen lock)</translation>
    </message>
    <message>
        <location filename="../window.py" line="53"/>
        <source>● オンライン</source>
        <translation>● Online</translation>
    </message>
    <message>
        <location filename="../window.py" line="54"/>
        <source>● 同期中</source>
        <translation>● Syncing</translation>
    </message>
    <message>
        <location filename="../window.py" line="55"/>
        <source>○ 接続中</source>
        <translation>○ Connecting</translation>
    </message>
    <message>
        <location filename="../window.py" line="56"/>
        <source>○ オフライン — 端末にある資料を読めます</source>
        <translation>○ Offline — what is on this device can be read</translation>
    </message>
    <message>
        <location filename="../window.py" line="59"/>
        <source>この端末のデータは消去されました</source>
        <translation>This device's data was wiped</translation>
    </message>
    <message>
        <location filename="../window.py" line="88"/>
        <source>Furano Meet — {name}</source>
        <translation>Furano Meet — {name}</translation>
    </message>
    <message>
        <location filename="../window.py" line="98"/>
        <source>会議</source>
        <translation>Meetings</translation>
    </message>
    <message>
        <location filename="../window.py" line="99"/>
        <source>議事と資料</source>
        <translation>Agenda and documents</translation>
    </message>
    <message>
        <location filename="../window.py" line="1"/>
        <source>資料</source>
        <translation>Documents</translation>
    </message>
    <message>
        <location filename="../window.py" line="1"/>
        <source>目次</source>
        <translation>Contents</translation>
    </message>
</context>
<context>
    <name>MeetingList</name>
    <message>
        <location filename="../meetings.py" line="86"/>
        <source>会議の一覧</source>
        <translation>Meeting list</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="106"/>
        <source>{y}年{m}月{d}日</source>
        <translation>{d}/{m}/{y}</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="117"/>
        <source>閲覧期限切れ（端末から消去済み）</source>
        <translation>Expired (removed from this device)</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="119"/>
        <source>鍵の到着待ち</source>
        <translation>Waiting for the key</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="123"/>
        <source>受信中（{done}/{all}件）</source>
        <translation>Receiving ({done} of {all})</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="127"/>
        <source>資料はまだありません</source>
        <translation>No documents yet</translation>
    </message>
    <message>
        <location filename="../meetings.py" line="128"/>
        <source>✓ オフラインで閲覧できます（資料{n}件）</source>
        <translation>✓ Ready offline ({n} documents)</translation>
    </message>
</context>
<context>
    <name>NoticeBar</name>
    <message>
        <location filename="../window.py" line="73"/>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
</context>
<context>
    <name>PageCanvas</name>
    <message>
        <location filename="../page_canvas.py" line="48"/>
        <source>ページ</source>
        <translation>Page</translation>
    </message>
</context>
<context>
    <name>PresenterBar</name>
    <message>
        <location filename="../bars.py" line="95"/>
        <source>このページを表示</source>
        <translation>Show this page</translation>
    </message>
    <message>
        <location filename="../bars.py" line="96"/>
        <source>ポインター</source>
        <translation>Pointer</translation>
    </message>
    <message>
        <location filename="../bars.py" line="97"/>
        <source>共有ペン</source>
        <translation>Shared pen</translation>
    </message>
    <message>
        <location filename="../bars.py" line="98"/>
        <source>全員をこのページへ</source>
        <translation>Bring everyone here</translation>
    </message>
    <message>
        <location filename="../bars.py"/>
        <source>発表をお願いする</source>
        <translation>Ask to present</translation>
    </message>
    <message>
        <location filename="../bars.py"/>
        <source>自分で閲覧中の人も含めて、全員をこのページへ</source>
        <translation>Bring everyone here, those reading on their own too</translation>
    </message>
    <message>
        <location filename="../bars.py"/>
        <source>お願いしました — 許可をお待ちください</source>
        <translation>Asked — please wait for the chair</translation>
    </message>
</context>
<context>
    <name>Viewer</name>
    <message>
        <location filename="../viewer.py" line="127"/>
        <source>左の一覧から資料を選んでください</source>
        <translation>Choose a document on the left</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="133"/>
        <source>◀ 前へ</source>
        <translation>◀ Previous</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="134"/>
        <source>次へ ▶</source>
        <translation>Next ▶</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="136"/>
        <source>ページ</source>
        <translation>Page</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="139"/>
        <source>全体</source>
        <translation>Page</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="140"/>
        <source>幅</source>
        <translation>Width</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="141"/>
        <location filename="../viewer.py" line="152"/>
        <source>縮小</source>
        <translation>Smaller</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="142"/>
        <location filename="../viewer.py" line="153"/>
        <source>拡大</source>
        <translation>Larger</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="150"/>
        <source>ページ全体を表示</source>
        <translation>Fit the whole page</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="151"/>
        <source>幅に合わせる</source>
        <translation>Fit the width</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="319"/>
        <source>資料を開いています…</source>
        <translation>Opening the document…</translation>
    </message>
    <message>
        <location filename="../viewer.py" line="423"/>
        <source>{page} / {count}</source>
        <translation>{page} / {count}</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <location filename="../__main__.py" line="64"/>
        <source>この端末はまだ登録されていません。招待を受け取ったら `furano-meet --profile {p} enrol` で登録してください。</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>AppLock</name>
    <message>
        <location filename="../app_lock.py" line="218"/>
        <source>暗証番号が何度か違いました。念のため、{seconds}秒ほど待ってからもう一度入力してください。</source>
        <translation>The PIN was wrong a few times. To be safe, please wait about {seconds} seconds, then try again.</translation>
    </message>
    <message>
        <location filename="../app_lock.py" line="213"/>
        <source>暗証番号が違います。もう一度ゆっくり入力してください。</source>
        <translation>That PIN is not right. Please type it again, slowly.</translation>
    </message>
</context>
<context>
    <name>FirstRunWindow</name>
    <message>
        <location filename="../first_run.py" line="304"/>
        <source>Furano Meet — はじめての設定</source>
        <translation>Furano Meet — first start</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="422"/>
        <source>招待 (*.txt *.furano-invite);;すべて (*)</source>
        <translation>Invitation (*.txt *.furano-invite);;All files (*)</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="420"/>
        <source>招待ファイルを開く</source>
        <translation>Open the invitation file</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="311"/>
        <source>準備しています…</source>
        <translation>Getting ready…</translation>
    </message>
</context>
<context>
    <name>InvitationPage</name>
    <message>
        <location filename="../first_run.py" line="185"/>
        <source>この端末を登録する</source>
        <translation>Enrol this device</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="192"/>
        <source>ようこそ</source>
        <translation>Welcome</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="178"/>
        <source>サーバーのアドレス</source>
        <translation>Server address</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="226"/>
        <source>サーバーのアドレスを入力してください（招待と一緒に届いています）。</source>
        <translation>Please enter the server address (it came with the invitation).</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="181"/>
        <source>招待</source>
        <translation>Invitation</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="183"/>
        <source>招待ファイルを開く…</source>
        <translation>Open the invitation file…</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="235"/>
        <source>登録しています…</source>
        <translation>Enrolling…</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="194"/>
        <source>議会事務局から受け取った招待で、この端末を登録します。招待のリンクを貼り付けると、サーバーのアドレスも入ります。</source>
        <translation>Enrol this device with the invitation from the council secretariat. Pasting the invitation link fills in the server address too.</translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <location filename="../app_lock.py" line="72"/>
        <source>しばらく操作がなかったので、画面を隠しました。暗証番号を入力すると元の画面に戻ります。会議の資料とページは、ロック中も受け取り続けています。</source>
        <translation>Nothing was touched for a while, so the screen is hidden. Enter your PIN to return. Meeting documents and page turns keep arriving while it is locked.</translation>
    </message>
    <message>
        <location filename="../app_lock.py" line="86"/>
        <source>ロックを解除</source>
        <translation>Unlock</translation>
    </message>
    <message>
        <location filename="../app_lock.py" line="84"/>
        <source>暗証番号</source>
        <translation>PIN</translation>
    </message>
    <message>
        <location filename="../app_lock.py" line="69"/>
        <source>画面をロックしています</source>
        <translation>The screen is locked</translation>
    </message>
</context>
<context>
    <name>PassphrasePage</name>
    <message>
        <location filename="../first_run.py" line="161"/>
        <source>2回の入力が一致しません。もう一度入力してください。</source>
        <translation>The two entries do not match. Please enter them again.</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="140"/>
        <source>この端末には、資料を守る鍵を安全にしまっておく仕組み（キーチェーン）が見つかりませんでした。そのため、この端末に保存する会議資料をパスフレーズで守ります。10文字以上の、ご自分だけが思いつく短い文を決めてください。アプリを開くたびに入力します。</source>
        <translation>This device has no keychain to keep the key that protects your documents safely. The meeting documents stored here are therefore protected by a passphrase. Choose a short sentence of 10 or more characters that only you would think of. You type it each time the app opens.</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="147"/>
        <source>この端末の会議資料はパスフレーズで守られています。登録のときに決めたパスフレーズを入力してください。</source>
        <translation>The meeting documents on this device are protected by a passphrase. Please enter the passphrase you chose when enrolling.</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="123"/>
        <source>パスフレーズ</source>
        <translation>Passphrase</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="115"/>
        <source>次へ</source>
        <translation>Next</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="113"/>
        <source>確認のため、もう一度入力してください</source>
        <translation>Please enter it once more to confirm</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="125"/>
        <source>もう一度</source>
        <translation>Once more</translation>
    </message>
</context>
<context>
    <name>RecoveryPage</name>
    <message>
        <location filename="../recovery_code.py" line="81"/>
        <source>いまは回復コードを作れません。後で設定から作れます。</source>
        <translation>The recovery code cannot be made right now. You can make it later in Settings.</translation>
    </message>
    <message>
        <location filename="../recovery_code.py" line="58"/>
        <source>この端末は使えるようになりました。最後にひとつだけ。下の回復コードは、万一すべての端末をなくしたときに、ご自分だけのメモを取り戻すためのものです。紙に書き写して、端末とは別の場所に大切にしまってください。このコードが表示されるのは今回だけです。</source>
        <translation>This device is ready. One last thing: the recovery code below brings back your private notes should you ever lose all your devices. Copy it onto paper and keep it safe, away from this device. It is shown only this once.</translation>
    </message>
    <message>
        <location filename="../recovery_code.py" line="43"/>
        <source>回復コードを用意しています…</source>
        <translation>Preparing your recovery code…</translation>
    </message>
    <message>
        <location filename="../recovery_code.py" line="49"/>
        <source>後で</source>
        <translation>Later</translation>
    </message>
    <message>
        <location filename="../recovery_code.py" line="50"/>
        <source>後で（設定からいつでも作れます）</source>
        <translation>Later (you can make it any time in Settings)</translation>
    </message>
    <message>
        <location filename="../recovery_code.py" line="56"/>
        <source>承認されました — 回復コード</source>
        <translation>Approved — your recovery code</translation>
    </message>
    <message>
        <location filename="../recovery_code.py" line="46"/>
        <source>書き留めました</source>
        <translation>I have written it down</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <location filename="../settings_screen.py" line="233"/>
        <source>2回の入力が一致しません。もう一度入力してください。</source>
        <translation>The two entries do not match. Please enter them again.</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="69"/>
        <source>Furano Meet — 設定</source>
        <translation>Furano Meet — Settings</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="86"/>
        <source>{m}分</source>
        <translation>{m} minutes</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="118"/>
        <source>しばらく操作がないと画面を隠し、暗証番号（4〜8桁の数字）で元に戻します。ロック中も会議の同期は続きます。</source>
        <translation>After a while without use the screen is hidden; your PIN (4 to 8 digits) brings it back. Meetings keep syncing while it is locked.</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="132"/>
        <source>すべての端末をなくしたときに、ご自分だけのメモを取り戻すためのコードです。作ると一度だけ表示されます。紙に書き写して、端末とは別の場所にしまってください。</source>
        <translation>A code that brings back your private notes if you lose all your devices. It is shown once when made. Copy it onto paper and keep it away from this device.</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="83"/>
        <source>はっきりした配色（黒・白・黄）</source>
        <translation>High contrast (black, white, yellow)</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="77"/>
        <source>パソコンの設定に合わせる</source>
        <translation>Same as the computer</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="86"/>
        <source>ロックしない</source>
        <translation>Never lock</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="129"/>
        <source>回復コード</source>
        <translation>Recovery code</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="98"/>
        <source>回復コードを作る</source>
        <translation>Make a recovery code</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="82"/>
        <source>文字を大きくする</source>
        <translation>Larger text</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="230"/>
        <source>暗証番号は4〜8桁の数字にしてください。</source>
        <translation>A PIN is 4 to 8 digits.</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="187"/>
        <source>暗証番号はまだ決まっていません。決めるまで画面はロックされません。</source>
        <translation>No PIN yet. The screen does not lock until you choose one.</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="189"/>
        <source>暗証番号は決まっています。新しく決め直すこともできます。</source>
        <translation>A PIN is set. You can choose a new one.</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="96"/>
        <source>暗証番号を決める</source>
        <translation>Set the PIN</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="115"/>
        <source>画面のロック</source>
        <translation>Screen lock</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="112"/>
        <source>見やすさ</source>
        <translation>Easier to read</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="109"/>
        <source>言語 / Language</source>
        <translation>Language / 言語</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="108"/>
        <source>設定</source>
        <translation>Settings</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="101"/>
        <source>閉じる</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="90"/>
        <source>新しい暗証番号</source>
        <translation>New PIN</translation>
    </message>
    <message>
        <location filename="../settings_screen.py" line="90"/>
        <source>もう一度</source>
        <translation>Once more</translation>
    </message>
</context>
<context>
    <name>WaitingPage</name>
    <message>
        <location filename="../first_run.py" line="276"/>
        <source>● 管理者がこの端末を認証するのを待っています（指紋 {fp}）</source>
        <translation>● Waiting for the administrator to certify this device (fingerprint {fp})</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="280"/>
        <source>この端末が参加する会議はまだありません。</source>
        <translation>This device is not in any meeting yet.</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="246"/>
        <source>この端末の指紋</source>
        <translation>This device's fingerprint</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="281"/>
        <source>最終確認 {time}</source>
        <translation>Last checked {time}</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="253"/>
        <source>登録しました</source>
        <translation>Enrolled</translation>
    </message>
    <message>
        <location filename="../first_run.py" line="255"/>
        <source>管理者に、この端末の指紋を見せてください（または読み上げてください）。管理者の画面の指紋と同じであれば、管理者が承認します。</source>
        <translation>Show this device's fingerprint to the administrator (or read it out). If it matches the one on the administrator's screen, they approve the device.</translation>
    </message>
    <name>PresenterPanel</name>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>発表中</source>
        <translation>Presenting</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>追従中</source>
        <translation>Following</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>自分で閲覧中</source>
        <translation>Reading on their own</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>オフライン</source>
        <translation>Offline</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>参加者の様子</source>
        <translation>Who is with you</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>発表を引き継ぐ</source>
        <translation>Take over presenting</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>発表者の役割を自分に移す</source>
        <translation>Take the presenter role</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>発表を終える</source>
        <translation>Stop presenting</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>この端末はオフラインです — 参加者の様子は、つながると表示されます</source>
        <translation>This device is offline — who is following shows again once connected</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>{state} {n}人</source>
        <translation>{state}: {n}</translation>
    </message>
    <message>
        <location filename="../presenter_panel.py" line="1"/>
        <source>事務局</source>
        <translation>Clerk's office</translation>
    </message>
</context>
<context>
    <name>AttendanceRow</name>
    <message>
        <location filename="../presenter_panel.py"/>
        <source>{state}（あなた）</source>
        <translation>{state} (you)</translation>
    </message>
</context>
<context>
    <name>RequestRow</name>
    <message>
        <location filename="../role_requests.py"/>
        <source>{name}から発表の希望があります</source>
        <translation>{name} asks to present</translation>
    </message>
    <message>
        <location filename="../role_requests.py"/>
        <source>許可</source>
        <translation>Allow</translation>
    </message>
    <message>
        <location filename="../role_requests.py"/>
        <source>{name}に発表を任せる</source>
        <translation>Let {name} present</translation>
    </message>
    <message>
        <location filename="../role_requests.py"/>
        <source>あとで</source>
        <translation>Later</translation>
    </message>
</context>
<context>
    <name>SideColumn</name>
    <message>
        <location filename="../side_column.py" line="1"/>
        <source>一覧の切り替え</source>
        <translation>Switch list</translation>
    </message>
    <message>
        <location filename="../side_column.py" line="1"/>
        <source>≡
一覧</source>
        <translation>≡
Lists</translation>
    </message>
    <message>
        <location filename="../side_column.py" line="1"/>
        <source>一覧を閉じてページを広く表示する</source>
        <translation>Close the lists and show the page wider</translation>
    </message>
    <message>
        <location filename="../side_column.py" line="1"/>
        <source>一覧（会議・資料・目次・検索）を開く</source>
        <translation>Open the lists (meetings, documents, contents, search)</translation>
    </message>
</context>
</TS>
