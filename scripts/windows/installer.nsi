; The Windows installer (NSIS 3, built on Linux by scripts/build_windows.sh with makensis):
; per user, no administrator rights, into %LOCALAPPDATA%\Programs\Polyclinic; Start-menu
; shortcuts in Russian and Kazakh; an entry in "Apps and features" (HKCU).
;
; What the program keeps is never touched, neither by an upgrade nor by the uninstaller: the
; registry, its backups and reference releases (%LOCALAPPDATA%\polyclinic), the settings
; (%APPDATA%\polyclinic), a registry named with --db wherever it is. The installer writes and
; the uninstaller removes only the program's own files listed below.
;
;   makensis -DVERSION=0.1.0 -DVERSION4=0.1.0.0 -DSRC=dist/windows/polyclinic
;            -DOUTFILE=dist/windows/polyclinic-setup-0.1.0.exe -DSIGN=scripts/windows/sign.sh
;            scripts/windows/installer.nsi

Target amd64-unicode   ; 64-bit, as the program (Windows 10/11 x64); Unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!define APPNAME_RU "Регистратура поликлиники"
!define APPNAME_KK "Емхана тіркеу орны"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Polyclinic"
!define MENU_FOLDER "$SMPROGRAMS\${APPNAME_RU}"

Name "${APPNAME_RU}"
OutFile "${OUTFILE}"
InstallDir "$LOCALAPPDATA\Programs\Polyclinic"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "${APPNAME_RU} ${VERSION}"

!ifdef SIGN
; the uninstaller is written at build time too, and signed like the rest
!uninstfinalize '"${SIGN}" "%1"' = 0
!endif

!include "MUI2.nsh"
!define MUI_ABORTWARNING
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "Russian"

VIProductVersion "${VERSION4}"
VIAddVersionKey /LANG=${LANG_RUSSIAN} "ProductName" "${APPNAME_RU}"
VIAddVersionKey /LANG=${LANG_RUSSIAN} "FileDescription" "Установка: ${APPNAME_RU}"
VIAddVersionKey /LANG=${LANG_RUSSIAN} "CompanyName" "Polyclinic"
VIAddVersionKey /LANG=${LANG_RUSSIAN} "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_RUSSIAN} "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=${LANG_RUSSIAN} "LegalCopyright" "Polyclinic"

Section "Program"
    SetShellVarContext current
    ; An upgrade: the older version's program files go first (a module it had and this version
    ; has not must not linger); only the program's own files, never its data.
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\polyclinic.exe"
    Delete "$INSTDIR\polyclinic-gui.exe"
    SetOutPath "$INSTDIR"
    File "${SRC}\polyclinic.exe"
    File "${SRC}\polyclinic-gui.exe"
    File /r "${SRC}\_internal"
    WriteUninstaller "$INSTDIR\uninstall.exe"

    CreateDirectory "${MENU_FOLDER}"
    CreateShortcut "${MENU_FOLDER}\${APPNAME_RU}.lnk" "$INSTDIR\polyclinic-gui.exe" "" \
        "$INSTDIR\polyclinic-gui.exe" 0 SW_SHOWNORMAL "" "${APPNAME_RU}"
    CreateShortcut "${MENU_FOLDER}\${APPNAME_KK}.lnk" "$INSTDIR\polyclinic-gui.exe" "" \
        "$INSTDIR\polyclinic-gui.exe" 0 SW_SHOWNORMAL "" "${APPNAME_KK}"
    CreateShortcut "${MENU_FOLDER}\Удалить программу — Бағдарламаны жою.lnk" "$INSTDIR\uninstall.exe"

    WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${APPNAME_RU} — ${APPNAME_KK}"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Polyclinic"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\polyclinic-gui.exe"
    WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
    WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
    WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
    WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
    SetShellVarContext current
    ; the program's own files only: the registry, backups and settings stay where they are
    Delete "$INSTDIR\polyclinic.exe"
    Delete "$INSTDIR\polyclinic-gui.exe"
    RMDir /r "$INSTDIR\_internal"
    Delete "$INSTDIR\uninstall.exe"
    RMDir "$INSTDIR"   ; only if empty: anything the user put there stays
    Delete "${MENU_FOLDER}\${APPNAME_RU}.lnk"
    Delete "${MENU_FOLDER}\${APPNAME_KK}.lnk"
    Delete "${MENU_FOLDER}\Удалить программу — Бағдарламаны жою.lnk"
    RMDir "${MENU_FOLDER}"
    DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd
